"""The README and docs/usage-paths.md say what happens.

Every command they show in a ```sh block is accounted for here: run by this
file (in a scratch copy of the repository, the installed function first on
PATH) with its exit code and the output the docs claim checked; or run by
the named test elsewhere (the container paths need the engine fixtures of
tests/test_container_path.py); or, for what cannot run on this machine,
listed with the reason. A command added to the docs without an entry here
fails the suite, and so does an entry whose command left the docs.
"""

import os
import re
import shutil
import subprocess
import sys
import types

import pytest
import yaml

from conftest import function_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ("README.md", "docs/usage-paths.md")

FIRST_COMMAND = ("python3 -m venv .venv && .venv/bin/pip install --quiet . && kpt fn eval examples/basic-deployment "
                 "--exec .venv/bin/pipelock-companion -o unwrap")
TRANSFORMER_DOCS = 8  # the patched Deployment, its Service, the six companions
HELM_OUTPUT = "tests/fixtures/helm/research-agent-0.3.1.yaml"
COMPANION_KINDS = ["ConfigMap", "NetworkPolicy", "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"]


def _read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def _documents(text):
    return [d for d in yaml.safe_load_all(text) if d]


def _kinds(text):
    return [d["kind"] for d in _documents(text)]


def _resource_list(text):
    doc = yaml.safe_load(text)
    assert doc["kind"] == "ResourceList"
    return doc


# command -> (exit code, a check of its run (r.out, r.err, r.ws: the workspace), or None)
RUN = {
    "kpt fn eval examples/cronjob --exec pipelock-companion --fn-config examples/cronjob/pipelock.yaml":
        (0, lambda r: any((r.ws / "examples/cronjob").glob("*-pipelock.yaml"))),
    "kpt fn eval examples/configmap-config --exec pipelock-companion -- preset=strict "
    "apiAllowlist=api.openai.com replicas=3":
        (0, lambda r: "replicas: 3" in (r.ws / "examples/configmap-config/triage-agent-pipelock.yaml")
         .read_text()),
    "kpt fn eval examples/configmap-config --exec pipelock-companion -- preset=strict "
    "apiAllowlist=api.openai.com,api.anthropic.com replicas=3":
        (0, lambda r: "api.anthropic.com" in (r.ws / "examples/configmap-config/triage-agent-pipelock.yaml")
         .read_text()),
    "kpt fn eval examples/basic-deployment --exec pipelock-companion -o unwrap":
        (0, lambda r: _kinds(r.out) == ["Kptfile", "Deployment", "Service", *COMPANION_KINDS]
         and not any((r.ws / "examples/basic-deployment").glob("*-pipelock.yaml"))),
    "kpt fn render examples/basic-deployment --allow-exec":
        (0, lambda r: (r.ws / "examples/basic-deployment/research-agent-pipelock.yaml").is_file()),
    "kpt fn render examples/error-env-conflict --allow-exec":
        (1, lambda r: not list((r.ws / "examples/error-env-conflict").glob("*-pipelock.yaml"))),
    "pipelock-companion --config tests/fixtures/helm/pipelock.yaml < tests/fixtures/helm/research-agent-0.3.1.yaml":
        (0, lambda r: _kinds(r.out)[-6:] == COMPANION_KINDS
         and len(_kinds(r.out)) == len(_kinds((r.ws / HELM_OUTPUT).read_text())) + 6),
    "kpt fn source examples/basic-deployment | pipelock-companion":
        (0, lambda r: len(_resource_list(r.out)["items"]) == 9),
    "kpt fn source examples/basic-deployment | pipelock-companion | kpt fn sink out":
        (0, lambda r: sorted(p.name for p in (r.ws / "out").iterdir())
         == ["Kptfile", "agent.yaml", "research-agent-pipelock.yaml", "service.yaml"]),
    "kpt fn source examples/basic-deployment | pipelock-companion | pipelock-companion verify":
        (0, lambda r: "verified 1 managed agent workload(s)" in r.out),
    "kpt fn source examples/basic-deployment | pipelock-companion probes":
        (0, lambda r: _kinds(r.out) == ["ConfigMap", "Job"]),
    "pipelock-companion --help": (0, lambda r: r.out.startswith("usage:")),
    "pipelock-companion install-plugin":
        (0, lambda r: "export KUSTOMIZE_PLUGIN_HOME=" in r.out),
    "kubectl kustomize --enable-alpha-plugins examples/kustomize-exec-plugin":
        (0, lambda r: len(_documents(r.out)) == TRANSFORMER_DOCS),
    "python3 -m venv .venv && .venv/bin/pip install .": (0, None),
    ".venv/bin/pipelock-companion --version": (0, None),
}

# What a command needs run before it, as the docs say.
SETUP = {
    "kubectl kustomize --enable-alpha-plugins examples/kustomize-exec-plugin":
        "pipelock-companion install-plugin >/dev/null && "
        'export KUSTOMIZE_PLUGIN_HOME="$XDG_CONFIG_HOME/kustomize/plugin"',
}

# command -> the test that runs it (with the engine, or what it needs)
ELSEWHERE = {
    "kubectl kustomize --enable-alpha-plugins examples/kustomize-transformer":
        "tests/test_container_path.py::test_documented_container_commands",
    "kubectl kustomize --enable-alpha-plugins examples/kustomize-generator":
        "tests/test_container_path.py::test_documented_container_commands",
    "kpt fn eval examples/cronjob --image ghcr.io/luckypipewrench/pipelock-companion:v0.1.0 "
    "--fn-config examples/cronjob/pipelock.yaml":
        "tests/test_container_path.py::test_documented_container_commands",
    FIRST_COMMAND: "tests/test_docs.py::test_the_first_command_with_debians_python",
}

NOT_RUN = {
    "make test": "it is this suite",
    "make bench": "a report of minutes, never a test (speed is measured, not timed); tests/test_bench.py runs "
                  "bench/run.py --quick",
    "make bench BENCH_ARGS=--large": "as make bench, with 100,000 items: about 11 minutes",
    "helm upgrade --install demo ./research-agent --post-renderer pipelock-companion --post-renderer-args --config "
    '--post-renderer-args "$PWD/pipelock.yaml"':
        "Debian has no helm package; the function's side runs on a checked-in `helm template` output "
        "(tests/test_poststream.py and the command after it)",
    "helm template demo ./research-agent | pipelock-companion --config pipelock.yaml":
        "no helm here; the same pipe on the checked-in output is the next command",
    "podman build -t ghcr.io/luckypipewrench/pipelock-companion:v0.1.0 .":
        "no image registry here to pull the pinned base; tests/test_container_path.py builds this Dockerfile "
        "on a base built from Debian packages (the docs' own recipe, below)",
    "docker build -t ghcr.io/luckypipewrench/pipelock-companion:v0.1.0 .":
        "no Docker engine here; podman builds the same Dockerfile (tests/test_container_path.py)",
    "export $(ci/engine-setup)": "what `make test` itself runs before the suite (Makefile, target engine)",
    "printf '[global]\\ncert = /etc/ssl/certs/host-ca.crt\\n' > /tmp/pip.conf":
        "only behind a TLS-inspecting proxy; tests/test_container_path.py builds with the machine's settings",
    "podman build --network host -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/host-ca.crt:ro "
    '-v /tmp/pip.conf:/etc/pip.conf:ro --build-arg PYTHON_IMAGE="$PIPELOCK_BASE_IMAGE" '
    "-t ghcr.io/luckypipewrench/pipelock-companion:v0.1.0 .":
        "the same build as tests/test_container_path.py's, which passes the base the same way",
    "mkdir -p ~/.local/bin": "the docker shim for users; tests/test_container_path.py puts the same shim on PATH",
    "printf '#!/bin/sh\\nexec podman \"$@\"\\n' > ~/.local/bin/docker":
        "the docker shim; tests/test_container_path.py writes the same one (it also logs the argv)",
    "chmod +x ~/.local/bin/docker": "the docker shim (see above)",
    "pipelock-companion probes < manifests.yaml > probes.yaml": "needs a cluster to apply the probes to",
    "kubectl apply -f probes.yaml": "needs a cluster",
    "kubectl wait --for=condition=complete --timeout=300s job/<proxy>-probe -n <ns>": "needs a cluster",
    "kubectl logs job/<proxy>-probe -n <ns>": "needs a cluster",
}

# Shell scripts shown whole (not commands): the test that runs each.
SCRIPTS = {
    '#!/bin/sh\nexec pipelock-companion --config /path/to/pipelock.yaml "$@"\n':
        "tests/test_poststream.py::test_wrapper_script_for_helm_without_post_renderer_args",
}


def _blocks(path):
    """(language, text, the ```text block right after it or None) for each fenced block."""
    text = _read(path)
    blocks = list(re.finditer(r"^( *)```(\w*)\n(.*?)^\1```\n", text, re.M | re.S))
    out = []
    for i, match in enumerate(blocks):
        indent = match.group(1)
        body = "".join(line[len(indent):] + "\n" for line in match.group(3).splitlines())
        following = None
        if i + 1 < len(blocks) and blocks[i + 1].group(2) == "text" \
                and not text[match.end():blocks[i + 1].start()].strip():
            following = blocks[i + 1].group(3)
        out.append((match.group(2), body, following))
    return out


def _commands(body):
    """The commands of a ```sh block: continuation lines joined, comments off."""
    out, current = [], ""
    for raw in body.splitlines():
        if not current and raw.lstrip().startswith("#"):
            continue
        line = re.sub(r"\s+#\s.*$", "", raw).rstrip()
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        current += line.strip()
        if current:
            out.append(current)
        current = ""
    return out


def shown():
    """{command: (doc, claimed output or None)}, and {script: doc}."""
    commands, scripts = {}, {}
    for doc in DOCS:
        for language, body, following in _blocks(doc):
            if language != "sh":
                continue
            if body.startswith("#!"):
                scripts[body] = doc
                continue
            found = _commands(body)
            for command in found:
                # A ```text block right after a ```sh block is the output of its last command.
                claimed = following if command == found[-1] else None
                if command not in commands or commands[command][1] is None:
                    commands[command] = (doc, claimed)
    return commands, scripts


def test_every_shown_command_is_run_or_says_why_not():
    commands, scripts = shown()
    known = set(RUN) | set(ELSEWHERE) | set(NOT_RUN)
    assert sorted(set(commands) - known) == [], "commands in the docs that no test accounts for"
    assert sorted(known - set(commands)) == [], "entries here whose command is no longer in the docs"
    assert set(scripts) == set(SCRIPTS)
    assert not set(RUN) & set(NOT_RUN) and not set(ELSEWHERE) & set(NOT_RUN)


@pytest.mark.parametrize("where", sorted(set(ELSEWHERE.values()) | set(SCRIPTS.values())))
def test_the_tests_named_here_exist(where):
    path, name = where.split("::")
    assert re.search(rf"^def {name}\(", _read(path), re.M), where


@pytest.fixture
def workspace(tmp_path):
    """A scratch copy of what the docs' commands read, and an environment
    with this installation's bin directory first on PATH (absolute, as kpt
    wants), the plugin home inside the scratch copy."""
    for name in ("examples", "tests/fixtures", "pyproject.toml", "README.md", "fn", "schemas"):
        source = os.path.join(ROOT, name)
        target = tmp_path / name
        if os.path.isdir(source):
            shutil.copytree(source, target, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    env = {k: v for k, v in os.environ.items() if k not in ("KUSTOMIZE_PLUGIN_HOME", "VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.path.dirname(os.path.abspath(function_command())) + os.pathsep + env["PATH"]
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return tmp_path, env


def _lines(text):
    """Lines as the docs show them: timings and absolute paths left out."""
    text = re.sub(r'(\[(?:PASS|FAIL)\] ".*?") in [0-9.]+(?:ms|s)', r"\1 in Xms", text)
    text = re.sub(r"/[^\s:)'\"]+", "<path>", text)
    return [line.rstrip() for line in text.strip("\n").split("\n")]


def _in_order(claimed, actual):
    """Whether every claimed line appears in the actual output, in order."""
    rest = iter(_lines(actual))
    return all(any(line == seen for seen in rest) for line in _lines(claimed))


@pytest.mark.parametrize("command", sorted(c for c in RUN if not c.startswith(("python3 -m venv", ".venv/"))))
def test_shown_command(command, workspace):
    directory, env = workspace
    script = f"{SETUP[command]} && {command}" if command in SETUP else command
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=directory, env=env, capture_output=True,
                          text=True, timeout=300)
    code, check = RUN[command]
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    if check is not None:
        run = types.SimpleNamespace(out=proc.stdout, err=proc.stderr, ws=directory)
        assert check(run), proc.stdout[-3000:] + proc.stderr[-2000:]
    claimed = shown()[0][command][1]
    if claimed is not None:
        assert _in_order(claimed, proc.stdout + proc.stderr), (claimed, proc.stdout + proc.stderr)


def test_the_install_section_of_usage_paths(workspace):
    """docs/usage-paths.md's install: a venv, then --version prints what it shows."""
    directory, env = workspace
    commands = ["python3 -m venv .venv && .venv/bin/pip install .", ".venv/bin/pipelock-companion --version"]
    for command in commands:
        assert command in RUN
    proc = subprocess.run(["bash", "-c", " && ".join(commands)], cwd=directory, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    claimed = shown()[0][commands[1]][1]
    assert claimed and proc.stdout.endswith(claimed)


def test_the_first_command_with_debians_python(workspace):
    """The README's first line, verbatim, with the system python3 first on
    PATH: on Debian and Ubuntu it is externally managed (PEP 668), and the
    line must work there as on any other Python."""
    directory, env = workspace
    debian = "/usr/bin/python3"
    if os.path.exists(debian):
        env["PATH"] = "/usr/bin" + os.pathsep + env["PATH"]
        probe = ("import sysconfig, os; "
                 "print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))")
        managed = subprocess.run([debian, "-c", probe], capture_output=True, text=True).stdout.strip()
        assert managed in ("True", "False")
    else:  # pragma: no cover - a machine without a system Python
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    proc = subprocess.run(["bash", "-c", FIRST_COMMAND], cwd=directory, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # "nine documents: its Kptfile, the agent Deployment now patched, its Service and the six companion objects"
    assert _kinds(proc.stdout) == ["Kptfile", "Deployment", "Service", *COMPANION_KINDS]
    agent = _documents(proc.stdout)[1]
    assert agent["metadata"]["annotations"]["pipelock.dev/topology"] == "companion-proxy"
    # "nothing is written"
    assert not list((directory / "examples/basic-deployment").glob("*-pipelock.yaml"))
    readme = _read("README.md")
    assert "nine\ndocuments" in readme or "nine documents" in readme
