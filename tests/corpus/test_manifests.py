"""Release manifests, generated (see manifests.py), through the two ways
the function meets them: a plain stream (`--config`, as Helm's
post-renderer runs it) and a kpt package (`kpt fn source | pipelock-companion
| kpt fn sink`). Outside the selected workloads, the output is the input
byte for byte; each selected workload only gains lines.
"""

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

import manifests
import streams
from conftest import function_command, package_files

STREAMS = 60
DOCUMENTS = 50  # a stream: 3,000 documents in all
FILES = 24      # a kpt package: 1,200 documents


def gained_lines_only(before, after):
    """Whether every line of `before` is in `after`, in order."""
    lines = iter(after.splitlines())
    return all(any(line == other for other in lines) for line in before.splitlines())


def assert_only_the_agents_changed(stream, out):
    lb = stream.line_break
    pos = 0
    segments = stream.segments
    companions = f"{lb}---{lb}apiVersion: v1{lb}kind: ConfigMap{lb}"
    for index, (text, agent) in enumerate(segments):
        last = index == len(segments) - 1
        if not agent and last and not text.endswith(lb):
            # The input's last line has no line break; the companions follow it,
            # so it gets one, and a block scalar ending there keeps its value
            # by its chomping (see textedit.with_final_break): that one line may differ.
            end = out.find(companions, pos)
            got = out[pos:] if end < 0 else out[pos:end]
            assert end >= 0 or got == text  # nothing follows: nothing to add
            assert len(got.split(lb)) == len(text.split(lb)), (text, got)
            changed = [(a, b) for a, b in zip(text.split(lb), got.split(lb), strict=True) if a != b]
            assert len(changed) <= 1, (text, got)
            assert all(b == a.rstrip("+") + "-" or b == a + "-" for a, b in changed), changed
            assert yaml.safe_load(got.replace(lb, "\n")) == yaml.safe_load(text.replace(lb, "\n"))
            pos += len(got)
            continue
        if not agent:
            assert out.startswith(text, pos), (f"segment {index} changed:\n{text!r}\n--- output ---\n"
                                               f"{out[pos:pos + len(text) + 80]!r}")
            pos += len(text)
            continue
        following = None if last else segments[index + 1][0]
        end = out.find(following, pos) if following else out.find(companions, pos) + len(lb)
        patched = out[pos:end]
        if "<<: *" in text:  # merge keys: written from its data (see Item.update), values kept
            old, new = (yaml.safe_load(t.replace("\r\n", "\n")) for t in (text, patched))
            assert new["metadata"]["name"] == old["metadata"]["name"]
            assert new["spec"]["selector"] == old["spec"]["selector"]
            assert new["x-defaults"] == old["x-defaults"]
        else:
            assert gained_lines_only(text, patched), f"the workload lost lines:\n{text}\n--- now ---\n{patched}"
        assert "HTTPS_PROXY" in patched
        pos = end
    companions = list(yaml.safe_load_all(out[pos:].replace("\r\n", "\n")))
    assert len([c for c in companions if c]) == 6 * stream.agents


def test_release_streams_pass_through_a_plain_stream_byte_for_byte(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(streams.CONFIG)
    documents = agents = crlf = 0
    for seed in range(STREAMS):
        stream = manifests.stream(seed, DOCUMENTS)
        out, err, code = streams.run_stream(stream.text, str(config))
        assert code == 0 and "Traceback" not in err, f"seed {seed}: {err}"
        assert_only_the_agents_changed(stream, out)
        documents += DOCUMENTS
        agents += stream.agents
        crlf += stream.line_break == "\r\n"
    assert documents == 3000 and agents >= 30 and crlf >= 5


def kpt(*args, stdin=None):
    proc = subprocess.run(["kpt", "fn", *args], input=stdin, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def files(directory):
    return {path: data.decode("utf-8") for path, data in package_files(directory).items()}


@pytest.mark.skipif(shutil.which("kpt") is None, reason="kpt is not on PATH")
def test_a_release_package_through_kpt_fn_source_and_sink(tmp_path):
    package = tmp_path / "package"
    package.mkdir()
    agents = manifests.package(7, str(package), files=FILES, documents_per_file=DOCUMENTS)
    assert agents >= 10
    source = kpt("source", str(package))
    proc = subprocess.run([function_command()], input=source, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda args: kpt("sink", str(tmp_path / args[0]), stdin=args[1]),
                      [("with", proc.stdout), ("without", source)]))
    with_fn, without = files(tmp_path / "with"), files(tmp_path / "without")
    assert len(without) == FILES
    assert set(without) <= set(with_fn)
    added = set(with_fn) - set(without)
    assert len(added) == agents  # one companion file beside each workload
    for name in added:
        assert len([d for d in yaml.safe_load_all(with_fn[name]) if d]) == 6
    patched = 0
    for name, text in without.items():
        if with_fn[name] == text:
            continue
        before, after = text.split("\n---\n"), with_fn[name].split("\n---\n")
        assert len(before) == len(after)
        for old, new in zip(before, after, strict=True):
            if old != new:
                assert 'pipelock.dev/inject: "true"' in old, f"{name}:\n{old}"
                assert gained_lines_only(old, new) or "<<: *" in old, f"{name}:\n{old}"
                patched += 1
    assert patched == agents
