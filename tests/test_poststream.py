"""Plain YAML streams: `pipelock-companion --config FILE` as a Helm
`--post-renderer`.

Debian has no helm package, so the input is a checked-in `helm template`
output (tests/fixtures/helm/research-agent-0.3.1.yaml: `# Source:` comments,
six kinds, one agent Deployment, a test hook Pod, values Helm quotes and
values it does not). Helm hands a post-renderer exactly that stream on stdin
and applies what comes out on stdout; a non-zero exit aborts the release.
"""

import os
import subprocess

import yaml

from conftest import function_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELM = os.path.join(ROOT, "tests", "fixtures", "helm")
RENDERED = os.path.join(HELM, "research-agent-0.3.1.yaml")
CONFIG = os.path.join(HELM, "pipelock.yaml")
PROXY = "demo-research-agent-pipelock"
COMPANIONS = [("ConfigMap", PROXY), ("NetworkPolicy", f"{PROXY}-policy"), ("Deployment", PROXY),
              ("Service", PROXY), ("PodDisruptionBudget", f"{PROXY}-pdb"),
              ("NetworkPolicy", f"{PROXY}-egress")]


# Core bug (fn/verify/boundary.py vs fn/topology/networkpolicy.py): the proxy
# NetworkPolicy admits the pods the workload's spec.selector picks, while the
# boundary check calls "the agent pods" only pods with all the pod template
# labels. Every Helm chart's selector (name, instance) is a subset of its
# template labels (plus chart, version, managed-by), so the function rejects
# its own policy and exits 1. Strict: fixing it fails these until the marker goes.
def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _post_render(stream, args=("--config", CONFIG), command=None):
    proc = subprocess.run([command or function_command(), *args], input=stream.encode(), capture_output=True,
                          timeout=60)
    return proc.stdout.decode(), proc.stderr.decode(), proc.returncode


def _documents(text):
    """Document texts of a stream, split at `---` lines; empty ones dropped."""
    docs, current = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            docs.append("".join(current))
            current = []
        else:
            current.append(line)
    docs.append("".join(current))
    return [d for d in docs if d.strip()]


def _kind_name(doc):
    data = yaml.safe_load(doc)
    return data["kind"], data["metadata"]["name"]


def test_every_input_document_comes_out_and_companions_are_added():
    rendered = _read(RENDERED)
    out, err, code = _post_render(rendered)
    assert code == 0, err
    assert "Traceback" not in err
    inputs, outputs = _documents(rendered), _documents(out)
    assert len(inputs) == 6
    assert len(outputs) == 6 + 6
    # The chart's documents first, in order; then the six companion objects.
    assert [_kind_name(d) for d in outputs[:6]] == [_kind_name(d) for d in inputs]
    assert [_kind_name(d) for d in outputs[6:]] == COMPANIONS
    for before, after in zip(inputs, outputs[:6], strict=True):
        if _kind_name(before) != ("Deployment", "demo-research-agent"):
            # Not selected: byte for byte, `# Source:` comment, quotes, `on`, `0022` and all.
            assert after == before
    assert out.count("\n# Source: ") + out.startswith("# Source: ") == 6
    assert all(d.startswith("# Source: research-agent/templates/") for d in outputs[:6])


def test_the_agent_deployment_only_gains_lines():
    rendered = _read(RENDERED)
    out, err, code = _post_render(rendered)
    assert code == 0, err
    before = next(d for d in _documents(rendered) if "kind: Deployment" in d)
    after = _documents(out)[4]
    lines = iter(after.splitlines())
    for line in before.splitlines():
        assert any(candidate == line for candidate in lines), f"lost or changed: {line!r}"
    data = yaml.safe_load(after)
    template = data["spec"]["template"]
    container = template["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    # Helm installs everything into the release namespace: the proxy is named
    # without one, and so are the companions.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        assert env[name]["value"] == f"http://{PROXY}:8888"
    assert env["NO_PROXY"]["value"].split(",")[-1] == PROXY
    assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "demo-research-agent-keys"
    assert container["envFrom"] == [{"configMapRef": {"name": "demo-research-agent"}}]
    assert template["metadata"]["annotations"]["checksum/config"].startswith("5f1c3d0e")
    assert template["metadata"]["annotations"]["pipelock.dev/proxy-name"] == PROXY
    assert data["metadata"]["annotations"]["pipelock.dev/topology"] == "companion-proxy"
    assert template["spec"]["volumes"][0]["configMap"]["defaultMode"] == 0o444
    assert "defaultMode: 0444\n" in after


def test_companions_fit_a_helm_release():
    out, err, code = _post_render(_read(RENDERED))
    assert code == 0, err
    companions = [yaml.safe_load(d) for d in _documents(out)[6:]]
    for obj in companions:
        # The release namespace applies; no kpt bookkeeping in a plain stream.
        assert "namespace" not in obj["metadata"]
        assert not any(k.startswith(("internal.config.kubernetes.io/", "config.kubernetes.io/"))
                       for k in (obj["metadata"].get("annotations") or {}))
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pipelock-companion"
    agent_policy = companions[5]
    assert agent_policy["spec"]["podSelector"] == {"matchLabels": {
        "app.kubernetes.io/name": "research-agent", "app.kubernetes.io/instance": "demo"}}


def test_post_rendering_twice_changes_nothing():
    once, err, code = _post_render(_read(RENDERED))
    assert code == 0, err
    twice, err, code = _post_render(once)
    assert code == 0, err
    assert twice == once


def test_wrapper_script_for_helm_without_post_renderer_args(tmp_path):
    """Helm before 3.10 runs the post-renderer without arguments: the
    two-line wrapper of usage-paths.md does the same as the arguments."""
    wrapper = tmp_path / "pipelock-post-renderer"
    wrapper.write_text(f'#!/bin/sh\nexec {function_command()} --config {CONFIG} "$@"\n')
    wrapper.chmod(0o755)
    direct, _, _ = _post_render(_read(RENDERED))
    wrapped, err, code = _post_render(_read(RENDERED), args=(), command=str(wrapper))
    assert code == 0, err
    assert wrapped == direct


def test_a_conflict_fails_the_release_and_says_why():
    rendered = _read(RENDERED).replace(
        "          env:\n            - name: OPENAI_API_KEY\n",
        "          env:\n            - name: HTTPS_PROXY\n              value: http://squid.corp:3128\n"
        "            - name: OPENAI_API_KEY\n")
    assert "squid.corp" in rendered
    out, err, code = _post_render(rendered)
    assert code == 1
    assert "[error]" in err and "HTTPS_PROXY" in err and "demo-research-agent" in err
    # Nothing on stdout: Helm stops on the exit code, and a pipe without
    # pipefail (`| kubectl apply -f -`) gets no unpatched manifests either.
    assert out == ""


def test_a_selector_that_matches_nothing_fails_the_release(tmp_path):
    """A typo in the selector must not ship the chart's agent unpatched."""
    config = tmp_path / "typo.yaml"
    assert "name: research-agent\n" in _read(CONFIG)
    config.write_text(_read(CONFIG).replace("name: research-agent\n", "name: reserach-agent\n"))
    out, err, code = _post_render(_read(RENDERED), args=("--config", str(config)))
    assert code == 1
    assert "no workload in the input is selected" in err
    assert out == ""


def test_two_files_run_together_are_refused_naming_the_first_document():
    """`cat a.yaml b.yaml` without a `---` between them: one document with
    duplicate keys. Refused (exit 1, nothing on stdout), the error naming
    the document by its first resource and the line where the second starts."""
    first = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {k: v}\n"
    second = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: keys\n"
    out, err, code = _post_render(first + second)
    assert code == 1 and out == ""
    expected = ("[error] ConfigMap/settings: cannot read input: line 6: duplicate mapping key 'apiVersion' (two "
                "resources run together, with no --- between them?)")
    assert expected in err, err
