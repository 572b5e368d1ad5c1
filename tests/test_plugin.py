"""`pipelock-companion install-plugin` and the legacy exec plugin it installs,
run by kubectl's own kustomize (which skips `exec:` KRM functions but runs
legacy exec plugins from $KUSTOMIZE_PLUGIN_HOME)."""

import os
import shutil
import stat
import subprocess

import pytest
import yaml

from conftest import function_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "kustomize-exec-plugin")
RELATIVE = os.path.join("fn.pipelock.dev", "v1alpha1", "companionproxy", "CompanionProxy")
COMPANIONS = [("ConfigMap", "research-agent-pipelock"), ("NetworkPolicy", "research-agent-pipelock-policy"),
              ("Deployment", "research-agent-pipelock"), ("Service", "research-agent-pipelock"),
              ("PodDisruptionBudget", "research-agent-pipelock-pdb"),
              ("NetworkPolicy", "research-agent-pipelock-egress")]


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("KUSTOMIZE_PLUGIN_HOME", "XDG_CONFIG_HOME", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def _install(*args, env):
    return subprocess.run([function_command(), "install-plugin", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def _kustomize(directory, env):
    return subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", str(directory)], capture_output=True,
                          text=True, env=env, timeout=120)


def test_install_plugin_writes_an_executable_and_says_where(tmp_path):
    home = tmp_path / "plugins"
    proc = _install(str(home), env=_clean_env())
    assert proc.returncode == 0, proc.stderr
    target = home / RELATIVE
    assert target.is_file()
    assert target.stat().st_mode & stat.S_IXUSR
    assert str(target) in proc.stdout
    assert f"export KUSTOMIZE_PLUGIN_HOME={home}" in proc.stdout
    text = target.read_text()
    assert text.startswith("#!/bin/sh\n")
    # It runs this installation by absolute path, whatever PATH is.
    python = os.path.join(os.path.dirname(function_command()), "python")
    exec_line = [line for line in text.splitlines() if line.startswith("exec ")]
    assert len(exec_line) == 1 and exec_line[0].split()[1].startswith(os.path.dirname(python) + os.sep)
    # Reinstalling over its own file is fine.
    assert _install(str(home), env=_clean_env()).returncode == 0


def test_plugin_speaks_the_legacy_protocol_with_an_empty_path(tmp_path):
    """argv[1] = config file, a YAML stream on stdin, a stream on stdout; no PATH, no venv activated."""
    home = tmp_path / "plugins"
    assert _install(str(home), env=_clean_env()).returncode == 0
    config = tmp_path / "config.yaml"
    shutil.copy(os.path.join(EXAMPLE, "pipelock.yaml"), config)
    with open(os.path.join(EXAMPLE, "agent.yaml"), "rb") as f:
        stream = f.read()
    # A module in the working directory (kustomize's: the kustomization's) is
    # not imported in place of the function's own dependencies.
    work = tmp_path / "work"
    work.mkdir()
    (work / "yaml.py").write_text("raise SystemExit('shadowed by the working directory')\n")
    (work / "pipelock_companion.py").write_text("raise SystemExit('shadowed by the working directory')\n")
    proc = subprocess.run([str(home / RELATIVE), str(config)], input=stream, capture_output=True, cwd=work,
                          env={"PATH": "/nonexistent"}, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    docs = list(yaml.safe_load_all(proc.stdout))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Deployment", "research-agent"), ("ConfigMap", "research-agent-settings"), *COMPANIONS]
    # The untouched ConfigMap comes out as it went in, text and all.
    assert 'verbose: "on"\n  umask: "0022"\n' in proc.stdout.decode()


def test_install_plugin_default_dir_is_where_kustomize_looks(tmp_path):
    """No DIR, no KUSTOMIZE_PLUGIN_HOME: ~/.config/kustomize/plugin, which kustomize finds by itself."""
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(HOME=str(home))
    proc = _install(env=env)
    assert proc.returncode == 0, proc.stderr
    assert (home / ".config" / "kustomize" / "plugin" / RELATIVE).is_file()
    # $KUSTOMIZE_PLUGIN_HOME wins when set.
    other = tmp_path / "elsewhere"
    proc = _install(env=_clean_env(HOME=str(home), KUSTOMIZE_PLUGIN_HOME=str(other)))
    assert proc.returncode == 0, proc.stderr
    assert (other / RELATIVE).is_file()
    # kubectl kustomize with only HOME set finds the default location.
    proc = _kustomize(EXAMPLE, env)
    assert proc.returncode == 0, proc.stderr
    assert ("Deployment", "research-agent-pipelock") in _kinds_names(proc.stdout)


def test_install_plugin_refuses_to_overwrite_a_foreign_file(tmp_path):
    target = tmp_path / RELATIVE
    target.parent.mkdir(parents=True)
    target.write_text("#!/bin/sh\necho someone else's plugin\n")
    proc = _install(str(tmp_path), env=_clean_env())
    assert proc.returncode == 1
    assert "--force" in proc.stderr
    assert "someone else" in target.read_text()
    proc = _install("--force", str(tmp_path), env=_clean_env())
    assert proc.returncode == 0, proc.stderr
    assert "someone else" not in target.read_text()


@pytest.mark.parametrize("args", [["a", "b"], ["--bogus"]])
def test_install_plugin_usage_errors(tmp_path, args):
    proc = _install(*args, env=_clean_env(HOME=str(tmp_path)))
    assert proc.returncode == 2
    assert "usage: pipelock-companion install-plugin" in proc.stderr


def _kinds_names(text):
    return [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(text) if d]


def test_kubectl_kustomize_runs_the_installed_plugin(tmp_path):
    home = tmp_path / "plugins"
    assert _install(str(home), env=_clean_env()).returncode == 0
    # kustomize runs the plugin in the kustomization's directory: a Python
    # file there named like a dependency must not be imported.
    folder = tmp_path / "kustomization"
    shutil.copytree(EXAMPLE, folder)
    (folder / "yaml.py").write_text("raise SystemExit('shadowed by the kustomization directory')\n")
    proc = _kustomize(folder, _clean_env(KUSTOMIZE_PLUGIN_HOME=str(home)))
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    found = sorted(_kinds_names(proc.stdout))
    assert found == sorted([("Deployment", "research-agent"), ("ConfigMap", "research-agent-settings"), *COMPANIONS])
    by_key = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    workload = by_key[("Deployment", "research-agent")]
    env = {e["name"]: e["value"] for e in workload["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HTTPS_PROXY"] == env["https_proxy"] == "http://research-agent-pipelock.agents.svc.cluster.local:8888"
    assert workload["metadata"]["annotations"]["pipelock.dev/topology"] == "companion-proxy"
    # The other resource is untouched (kustomize keeps the strings strings).
    assert by_key[("ConfigMap", "research-agent-settings")]["data"] == {"verbose": "on", "umask": "0022"}
    assert all(by_key[c]["metadata"]["namespace"] == "agents" for c in COMPANIONS)
    # kpt's and kustomize's bookkeeping annotations do not leak into the output.
    assert "config.kubernetes.io/" not in proc.stdout
    # The config file itself is not a resource.
    assert "CompanionProxy" not in proc.stdout


def test_kubectl_kustomize_without_the_plugin_fails_clearly(tmp_path):
    """What a user sees before install-plugin: kustomize names the missing plugin."""
    empty = tmp_path / "plugins"
    empty.mkdir()
    proc = _kustomize(EXAMPLE, _clean_env(KUSTOMIZE_PLUGIN_HOME=str(empty)))
    assert proc.returncode != 0
    assert "CompanionProxy" in proc.stderr


def test_an_error_stops_kubectl_kustomize_and_says_why(tmp_path):
    """Fail closed on the exec plugin path: a selector that matches nothing
    makes kustomize fail, with our error on its stderr, and no output."""
    home = tmp_path / "plugins"
    assert _install(str(home), env=_clean_env()).returncode == 0
    folder = tmp_path / "kustomization"
    shutil.copytree(EXAMPLE, folder)
    config = (folder / "pipelock.yaml").read_text()
    assert "names: [research-agent]" in config
    (folder / "pipelock.yaml").write_text(config.replace("names: [research-agent]", "names: [reserach-agent]"))
    proc = _kustomize(folder, _clean_env(KUSTOMIZE_PLUGIN_HOME=str(home)))
    assert proc.returncode != 0
    assert "no workload in the input is selected" in proc.stderr
    assert proc.stdout == ""


def test_the_plugin_works_as_a_kustomize_generator(tmp_path):
    """Under generators: the legacy exec plugin gets its config file and an
    empty stdin: it generates the companions of the workloads it names."""
    home = tmp_path / "plugins"
    assert _install(str(home), env=_clean_env()).returncode == 0
    folder = tmp_path / "generator"
    folder.mkdir()
    (folder / "companions.yaml").write_text(
        "apiVersion: fn.pipelock.dev/v1alpha1\nkind: CompanionProxy\nmetadata:\n  name: companions\n"
        "spec:\n  workloads:\n  - kind: Deployment\n    name: research-agent\n    namespace: agents\n"
        "    podLabels: {app: research-agent}\n")
    (folder / "kustomization.yaml").write_text("generators:\n- companions.yaml\n")
    proc = _kustomize(folder, _clean_env(KUSTOMIZE_PLUGIN_HOME=str(home)))
    assert proc.returncode == 0, proc.stderr
    assert sorted(_kinds_names(proc.stdout)) == sorted(COMPANIONS)
