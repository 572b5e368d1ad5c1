"""The probe bundle: `pipelock-companion probes` and spec.probes.enabled."""

import yaml

from conftest import run_function

AGENT = b"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: team-a
  annotations:
    pipelock.dev/inject: "true"
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent, tier: ai}
    spec:
      containers:
      - name: main
        image: agent:1.0
"""


def test_probes_subcommand_writes_a_job_per_agent():
    out, err, code = run_function(AGENT, ["probes"])
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    assert [d["kind"] for d in docs] == ["ConfigMap", "Job"]
    job = docs[1]
    assert job["metadata"]["namespace"] == "team-a"
    pod = job["spec"]["template"]
    # The probe pod is selected by the agent's NetworkPolicy: same labels.
    assert {"app": "agent", "tier": "ai"}.items() <= pod["metadata"]["labels"].items()
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["HTTPS_PROXY"] == "http://agent-pipelock.team-a.svc.cluster.local:8888"
    assert "probe.sh" in docs[0]["data"]


def test_probes_subcommand_without_agents_fails():
    _, err, code = run_function(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", ["probes"])
    assert code == 1
    assert "nothing to probe" in err


def test_probes_enabled_adds_them_to_the_companions(tmp_path):
    config = tmp_path / "fn.yaml"
    config.write_text("apiVersion: fn.pipelock.dev/v1alpha1\nkind: CompanionProxy\nmetadata:\n  name: x\n"
                      "spec:\n  probes:\n    enabled: true\n    image: registry.example/curl:8.11.1\n")
    out, err, code = run_function(AGENT, ["--config", str(config)])
    assert code == 0, err
    kinds = [d["kind"] for d in yaml.safe_load_all(out)]
    assert kinds.count("Job") == 1
    job = next(d for d in yaml.safe_load_all(out) if d["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/curl:8.11.1"
