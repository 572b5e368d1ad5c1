"""kubectl's kustomize (`kubectl kustomize --enable-alpha-plugins`) with the
function as a container generator, generator plus transformer, and why
`exec:` functions are no option there.

Container functions run through tests/fixtures/docker-standin/docker (see
test_container_path.py), which checks kustomize's exact `docker run` argv
and runs the installed function.
"""

import os
import shutil
import subprocess

import yaml

from conftest import function_command
from test_container_path import standin_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(ROOT, "examples", "kustomize-generator")
TRANSFORMER = os.path.join(ROOT, "examples", "kustomize-transformer")
IMAGE = "ghcr.io/luckypipewrench/pipelock-companion:v{}"
COMPANIONS = [("ConfigMap", "research-agent-pipelock"), ("NetworkPolicy", "research-agent-pipelock-policy"),
              ("Deployment", "research-agent-pipelock"), ("Service", "research-agent-pipelock"),
              ("PodDisruptionBudget", "research-agent-pipelock-pdb"),
              ("NetworkPolicy", "research-agent-pipelock-egress")]


def _image():
    from pipelock_companion import __version__

    return IMAGE.format(__version__)


def _kustomize(directory, env):
    return subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", str(directory)], capture_output=True,
                          text=True, env=env, timeout=120)


def _docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def _by_key(docs):
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_generator_makes_the_companions_of_a_named_workload(tmp_path):
    env = standin_env(tmp_path, _image())
    proc = _kustomize(GENERATOR, env)
    assert proc.returncode == 0, proc.stderr
    assert len(open(tmp_path / "docker.log").read().splitlines()) == 1  # ran through docker, once
    docs = _docs(proc.stdout)
    by_key = _by_key(docs)
    # Exactly the six companions: no workload (it lives elsewhere), no config.
    assert sorted(by_key) == sorted(COMPANIONS) and len(docs) == 6
    assert all(d["metadata"]["namespace"] == "agents" for d in docs)
    # Built from spec.workloads: the agent policy selects the named pod labels,
    # the proxy binds the workload's identity.
    agent_policy = by_key[("NetworkPolicy", "research-agent-pipelock-egress")]
    assert agent_policy["spec"]["podSelector"] == {"matchLabels": {"app": "research-agent"}}
    pipelock_config = yaml.safe_load(by_key[("ConfigMap", "research-agent-pipelock")]["data"]["pipelock.yaml"])
    assert pipelock_config["default_agent_identity"] == "deployment/research-agent"


def test_generator_says_it_did_not_patch_the_workload(tmp_path):
    """The same config as a ResourceList with no items, as a generator gets it:
    an info result says the workload was not patched and what to do."""
    config = yaml.safe_load(open(os.path.join(GENERATOR, "companions.yaml")))
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


def test_generator_and_transformer_agree(tmp_path):
    """The generator with the matching transformer entry (as usage-paths.md
    shows it) gives exactly what the transformer alone gives: the transformer
    refreshes the generated companions in place, no duplicates."""
    both = tmp_path / "both"
    both.mkdir()
    for name in ("deployment.yaml", "service.yaml", "pipelock.yaml"):
        shutil.copy(os.path.join(TRANSFORMER, name), both / name)
    shutil.copy(os.path.join(GENERATOR, "companions.yaml"), both / "companions.yaml")
    (both / "kustomization.yaml").write_text(
        "resources:\n- deployment.yaml\n- service.yaml\n"
        "generators:\n- companions.yaml\n"
        "transformers:\n- pipelock.yaml\n")
    env = standin_env(tmp_path, _image())
    combined = _kustomize(both, env)
    assert combined.returncode == 0, combined.stderr
    alone = _kustomize(TRANSFORMER, env)
    assert alone.returncode == 0, alone.stderr
    assert len(open(tmp_path / "docker.log").read().splitlines()) == 3
    assert combined.stdout == alone.stdout
    assert sorted(_by_key(_docs(combined.stdout))) == sorted(
        [("Deployment", "research-agent"), ("Service", "research-agent"), *COMPANIONS])


def test_kubectl_kustomize_silently_skips_exec_functions(tmp_path):
    """Why install-plugin exists: an `exec:` function config under
    transformers: is ignored by kubectl's kustomize, without a word."""
    folder = tmp_path / "exec"
    folder.mkdir()
    shutil.copy(os.path.join(TRANSFORMER, "deployment.yaml"), folder / "deployment.yaml")
    config = yaml.safe_load(open(os.path.join(TRANSFORMER, "pipelock.yaml")))
    config["metadata"]["annotations"]["config.kubernetes.io/function"] = yaml.safe_dump(
        {"exec": {"path": os.path.abspath(function_command())}})
    (folder / "pipelock.yaml").write_text(yaml.safe_dump(config))
    (folder / "kustomization.yaml").write_text("resources:\n- deployment.yaml\ntransformers:\n- pipelock.yaml\n")
    proc = _kustomize(folder, dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert sorted(_by_key(_docs(proc.stdout))) == [("Deployment", "research-agent")]
    assert "HTTPS_PROXY" not in proc.stdout


def test_an_error_stops_the_container_transformer_and_says_why(tmp_path):
    """Fail closed on the container path: kustomize stops on our exit code
    and shows our error (it asks functions to log to stderr)."""
    folder = tmp_path / "typo"
    shutil.copytree(TRANSFORMER, folder)
    config = (folder / "pipelock.yaml").read_text()
    assert "app: research-agent" in config
    (folder / "pipelock.yaml").write_text(config.replace("app: research-agent", "app: reserach-agent"))
    proc = _kustomize(folder, standin_env(tmp_path, _image()))
    assert proc.returncode != 0
    assert "no workload in the input is selected" in proc.stderr
    assert proc.stdout == ""
