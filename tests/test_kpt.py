"""The installed command under the real kpt: `kpt fn eval --exec` and
`kpt fn render --allow-exec` (a Kptfile `exec:` mutator), checking the
files kpt writes back."""

import os
import shutil
import subprocess

import pytest
import yaml

from conftest import function_command

PACKAGE = os.path.join(os.path.dirname(__file__), "packages", "tricky")
COMPANION_KINDS = ["ConfigMap", "NetworkPolicy", "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"]


@pytest.fixture
def package(tmp_path):
    target = tmp_path / "tricky"
    shutil.copytree(PACKAGE, target)
    return target


def _kpt(*args, cwd=None):
    env = dict(os.environ)
    # kpt finds `exec: pipelock-companion` on PATH.
    env["PATH"] = os.path.dirname(function_command()) + os.pathsep + env.get("PATH", "")
    return subprocess.run(["kpt", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _check_package(package):
    # Untouched files come back byte for byte: comments, `on`, `0644`, `NO`.
    for name in ("settings.yaml", "agents.yaml"):
        assert _read(package / name) == _read(os.path.join(PACKAGE, name)), name
    agent = _read(package / "agent.yaml")
    original = _read(os.path.join(PACKAGE, "agent.yaml"))
    # Every original line survives in order, comments included; only additions.
    lines = iter(agent.splitlines())
    for line in original.splitlines():
        assert any(candidate == line for candidate in lines), f"lost or changed: {line!r}"
    patched = yaml.safe_load(agent)
    env = {e["name"]: e.get("value") for e in patched["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HTTPS_PROXY"] == "http://agent-pipelock.agents.svc.cluster.local:8888"
    assert env["https_proxy"] == env["HTTPS_PROXY"]
    # The companion objects are written beside the workload, in one file.
    companion = list(yaml.safe_load_all(_read(package / "agent-pipelock.yaml")))
    assert [d["kind"] for d in companion] == COMPANION_KINDS
    assert all(d["metadata"]["namespace"] == "agents" for d in companion)


def test_kpt_fn_render_with_exec_mutator(package):
    proc = _kpt("fn", "render", str(package), "--allow-exec")
    assert proc.returncode == 0, proc.stderr
    _check_package(package)
    before = {p: _read(package / p) for p in os.listdir(package) if p.endswith(".yaml")}
    # A second render changes nothing.
    proc = _kpt("fn", "render", str(package), "--allow-exec")
    assert proc.returncode == 0, proc.stderr
    after = {p: _read(package / p) for p in os.listdir(package) if p.endswith(".yaml")}
    assert after == before


def test_kpt_fn_eval_with_exec(package):
    (package / "Kptfile").unlink()
    proc = _kpt("fn", "eval", str(package), "--exec", function_command(),
                "--fn-config", str(package / "agents.yaml"))
    assert proc.returncode == 0, proc.stderr
    _check_package(package)


def test_kpt_fn_eval_with_key_value_config(package):
    """`kpt fn eval -- k=v` sends a ConfigMap functionConfig of strings."""
    (package / "Kptfile").unlink()
    proc = _kpt("fn", "eval", str(package), "--exec", function_command(), "--",
                "selector.names=agent", "preset=strict", "apiAllowlist=api.openai.com")
    assert proc.returncode == 0, proc.stderr
    _check_package(package)
    config_map = next(yaml.safe_load_all(_read(package / "agent-pipelock.yaml")))
    config = yaml.safe_load(config_map["data"]["pipelock.yaml"])
    assert config["mode"] == "strict"
    assert config["api_allowlist"] == ["api.openai.com"]


def test_kpt_reports_errors_and_writes_nothing(package):
    (package / "agent.yaml").write_text(_read(package / "agent.yaml").replace(
        "value: '0022'", "value: '0022'\n        - name: HTTPS_PROXY\n          value: http://other:3128"))
    before = _read(package / "agent.yaml")
    proc = _kpt("fn", "render", str(package), "--allow-exec")
    assert proc.returncode != 0
    assert "HTTPS_PROXY" in proc.stderr
    assert _read(package / "agent.yaml") == before
    assert not (package / "agent-pipelock.yaml").exists()
