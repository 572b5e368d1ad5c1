"""kubectl's kustomize (`kubectl kustomize --enable-alpha-plugins`): what a
generator is told, and why `exec:` functions are no option there.

The container paths (transformer, generator, both, an error) run through a
real engine in test_container_path.py.
"""

import os
import shutil
import subprocess

import yaml

from conftest import function_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(ROOT, "examples", "kustomize-generator")
TRANSFORMER = os.path.join(ROOT, "examples", "kustomize-transformer")


def _kustomize(directory, env):
    return subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", str(directory)], capture_output=True,
                          text=True, env=env, timeout=120)


def _docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def _by_key(docs):
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_generator_says_it_did_not_patch_the_workload():
    """The same config as a ResourceList with no items, as a generator gets it:
    an info result says the workload was not patched and what to do."""
    with open(os.path.join(GENERATOR, "companions.yaml"), encoding="utf-8") as f:
        config = yaml.safe_load(f)
    resource_list = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [],
                                    "functionConfig": config})
    proc = subprocess.run([function_command()], input=resource_list, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    results = yaml.safe_load(proc.stdout)["results"]
    notes = [r for r in results if "not patched" in r["message"]]
    assert len(notes) == 1, results
    assert notes[0]["severity"] == "info"
    assert notes[0]["resourceRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "research-agent",
                                       "namespace": "agents"}
    assert "transformer" in notes[0]["message"]


def test_kubectl_kustomize_silently_skips_exec_functions(tmp_path):
    """Why install-plugin exists: an `exec:` function config under
    transformers: is ignored by kubectl's kustomize, without a word."""
    folder = tmp_path / "exec"
    folder.mkdir()
    shutil.copy(os.path.join(TRANSFORMER, "deployment.yaml"), folder / "deployment.yaml")
    with open(os.path.join(TRANSFORMER, "pipelock.yaml"), encoding="utf-8") as f:
        config = yaml.safe_load(f)
    config["metadata"]["annotations"]["config.kubernetes.io/function"] = yaml.safe_dump(
        {"exec": {"path": os.path.abspath(function_command())}})
    (folder / "pipelock.yaml").write_text(yaml.safe_dump(config))
    (folder / "kustomization.yaml").write_text("resources:\n- deployment.yaml\ntransformers:\n- pipelock.yaml\n")
    proc = _kustomize(folder, dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert sorted(_by_key(_docs(proc.stdout))) == [("Deployment", "research-agent")]
    assert "HTTPS_PROXY" not in proc.stdout

