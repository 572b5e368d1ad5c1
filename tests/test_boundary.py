"""The boundary as the cluster enforces it, end to end: the generated and
the user policies together, the pods with the labels controllers add, and
the exit code saying what the README promises — the agent reaches nothing
but the cluster DNS, its own proxy and its declared destinations; only its
agent reaches the proxy; the proxy reaches the internet, never the cluster
or the cloud."""

import pytest
import yaml

from pipelock_companion import runner
from pipelock_companion.verify import netpol

from conftest import AGENT_ITEM

HEADER = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"


def run(items, spec=None, mode=None):
    text = HEADER + items
    if spec is not None:
        text += yaml.safe_dump({"functionConfig": {"apiVersion": "fn.pipelock.dev/v1alpha1", "kind": "CompanionProxy",
                                                   "metadata": {"name": "cfg"}, "spec": spec}})
    out, results, _ = runner.process(text.encode(), mode=mode)
    parsed = yaml.safe_load(out)
    return parsed["items"], [r for r in results if r.severity != "info"]


def errors(results):
    return [r for r in results if r.severity == "error"]


def user_policy(name, spec, namespace="agents"):
    return yaml.safe_dump([{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                            "metadata": {"name": name, "namespace": namespace}, "spec": spec}])


def test_the_generated_topology_passes():
    _, results = run(AGENT_ITEM)
    assert results == []


# -- runtime labels --------------------------------------------------------------

HASH_ANYWHERE = user_policy("hash-egress", {
    "podSelector": {"matchExpressions": [{"key": "pod-template-hash", "operator": "Exists"}]},
    "policyTypes": ["Egress"], "egress": [{}]})
JOB_EGRESS = user_policy("jobs-egress", {
    "podSelector": {"matchExpressions": [{"key": "batch.kubernetes.io/job-name", "operator": "Exists"}]},
    "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 443}], "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})


def test_a_policy_keyed_on_pod_template_hash_opens_the_agent_and_the_proxy():
    """Every Deployment pod (the agent's, the proxy's) carries
    pod-template-hash: "egress anywhere for every such pod" voids both."""
    _, results = run(AGENT_ITEM + HASH_ANYWHERE)
    agent, proxy = errors(results)
    assert {r.resource_ref["name"] for r in (agent, proxy)} == {"hash-egress"}
    assert "the agent pods (agents: app=agent) can reach 203.0.113.7 on TCP 443" in agent.message
    assert "the proxy pods" in proxy.message and "can reach 169.254.169.254" in proxy.message


@pytest.mark.parametrize(("kind", "key"), [
    ("StatefulSet", "statefulset.kubernetes.io/pod-name"), ("StatefulSet", "apps.kubernetes.io/pod-index"),
    ("DaemonSet", "pod-template-generation"), ("DaemonSet", "controller-revision-hash"),
    ("Job", "batch.kubernetes.io/controller-uid"), ("Job", "job-name"), ("CronJob", "controller-uid"),
    ("Rollout", "rollouts-pod-template-hash"),
])
def test_each_kind_runtime_labels_may_select_its_pods(kind, key):
    agent = yaml.safe_load(AGENT_ITEM)[0]
    agent["kind"] = kind
    agent["apiVersion"] = {"Job": "batch/v1", "CronJob": "batch/v1", "Rollout": "argoproj.io/v1alpha1"}.get(
        kind, "apps/v1")
    if kind == "CronJob":
        agent["spec"] = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": agent["spec"]["template"]}}}
    elif kind == "Job":
        del agent["spec"]["selector"]
    policy = user_policy("by-runtime-label", {"podSelector": {"matchExpressions": [{"key": key, "operator": "In",
                                                                                   "values": ["x"]}]},
                                              "policyTypes": ["Egress"], "egress": [{}]})
    _, results = run(yaml.safe_dump([agent]) + policy)
    assert any("the agent pods" in r.message and r.resource_ref["name"] == "by-runtime-label"
               for r in errors(results)), results


def test_rollout_strategy_labels_may_select_its_pods():
    rollout = yaml.safe_load(AGENT_ITEM)[0]
    rollout.update(apiVersion="argoproj.io/v1alpha1", kind="Rollout")
    rollout["spec"]["strategy"] = {"canary": {"canaryMetadata": {"labels": {"track": "canary"}}}}
    policy = user_policy("canary", {"podSelector": {"matchLabels": {"track": "canary"}}, "policyTypes": ["Egress"],
                                    "egress": [{}]})
    _, results = run(yaml.safe_dump([rollout]) + policy)
    assert [r.resource_ref["name"] for r in errors(results)] == ["canary"]
    _, results = run(AGENT_ITEM + policy)  # a Deployment never wears them
    assert errors(results) == []


def test_the_probe_pods_carry_job_labels_and_are_checked():
    _, results = run(AGENT_ITEM + JOB_EGRESS, spec={"probes": {"enabled": True}})
    (error,) = errors(results)
    assert "the probe pods" in error.message and "batch.kubernetes.io/job-name" in error.message
    _, results = run(AGENT_ITEM + JOB_EGRESS)  # no probe Job, no probe pods
    assert errors(results) == []


# -- hostNetwork -------------------------------------------------------------------

def test_an_agent_on_the_host_network_is_an_error():
    agent = yaml.safe_load(AGENT_ITEM)[0]
    agent["spec"]["template"]["spec"]["hostNetwork"] = True
    items, results = run(yaml.safe_dump([agent]))
    (error,) = errors(results)
    assert error.field["path"] == "spec.template.spec.hostNetwork" and "NetworkPolicy does not apply" in error.message
    assert len(items) == 1  # nothing generated


def test_a_proxy_on_the_host_network_is_an_error_in_verify_mode():
    items, results = run(AGENT_ITEM)
    assert results == []
    for item in items:
        if item["kind"] == "Deployment" and item["metadata"]["name"] == "agent-pipelock":
            item["spec"]["template"]["spec"]["hostNetwork"] = True
    _, results = run(yaml.safe_dump(items), mode="verify")
    (error,) = errors(results)
    assert error.resource_ref["name"] == "agent-pipelock" and "host network" in error.message


# -- in-cluster escapes are errors ---------------------------------------------------

@pytest.mark.parametrize(("peer", "where"), [
    ({"namespaceSelector": {}}, "other-namespace"),                     # every pod of every namespace
    ({"podSelector": {}}, "agents"),                                    # every pod of its namespace
    ({"namespaceSelector": {}, "podSelector": {"matchLabels": {          # the proxy's labels, elsewhere
        "app.kubernetes.io/name": "pipelock", "app.kubernetes.io/instance": "agent-pipelock",
        "app.kubernetes.io/component": "proxy"}}}, "other-namespace"),
])
def test_an_agent_path_to_any_pod_but_its_own_proxy_is_an_error(peer, where):
    policy = user_policy("escape", {"podSelector": {"matchLabels": {"app": "agent"}}, "policyTypes": ["Egress"],
                                    "egress": [{"to": [peer]}]})
    _, results = run(AGENT_ITEM + policy)
    (error,) = errors(results)
    assert f"in namespace {where}" in error.message and "Declare it in spec.destinations" in error.message


def test_a_declared_destination_is_not_an_escape():
    policy = user_policy("db", {"podSelector": {"matchLabels": {"app": "agent"}}, "policyTypes": ["Egress"],
                                "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                                            "ports": [{"port": 5432}]}]})
    spec = {"destinations": [{"name": "db", "podLabels": {"app": "db"}, "ports": [{"port": 5432}]}]}
    _, results = run(AGENT_ITEM + policy, spec=spec)
    assert errors(results) == []


def test_two_agents_whose_selectors_overlap_may_use_each_others_proxy():
    """Same namespace, same pod labels: each agent policy selects both
    workloads' pods, so each may reach the other's proxy and identity."""
    twin = AGENT_ITEM.replace("name: agent\n", "name: twin\n", 1)
    _, results = run(AGENT_ITEM + twin)
    found = sorted((r.resource_ref["name"], r.message.split(":")[0]) for r in errors(results))
    assert found == [("agent-pipelock-egress", "Deployment twin"), ("twin-pipelock-egress", "Deployment agent")]
    assert all("the agent policy of another workload" in r.message for r in errors(results))


# -- the proxy's other ports and the metrics scraper -----------------------------------

METRICS_OPEN = user_policy("metrics-open", {
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "pipelock"}}, "policyTypes": ["Ingress"],
    "ingress": [{"ports": [{"port": 9091}]}]})
SCRAPER = {"metrics": {"scraper": {"namespace": "monitoring",
                                   "podLabels": {"app.kubernetes.io/name": "prometheus",
                                                 "operator.prometheus.io/name": "k8s"}}}}


def test_the_metrics_port_open_to_all_is_an_error():
    _, results = run(AGENT_ITEM + METRICS_OPEN)
    (error,) = errors(results)
    assert "on TCP 9091" in error.message and error.resource_ref["name"] == "metrics-open"


def test_a_declared_scraper_reaches_the_metrics_port_and_nothing_else():
    items, results = run(AGENT_ITEM, spec=SCRAPER)
    assert results == []
    (proxy_policy,) = [i for i in items if i["metadata"]["name"] == "agent-pipelock-policy"]
    assert proxy_policy["spec"]["ingress"][1] == {
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                  "podSelector": {"matchLabels": SCRAPER["metrics"]["scraper"]["podLabels"]}}],
        "ports": [{"protocol": "TCP", "port": 9091}]}
    policies = netpol.PolicySet([proxy_policy])
    proxy = netpol.Pod("agents", proxy_policy["spec"]["podSelector"]["matchLabels"])
    prometheus = netpol.Pod("monitoring", SCRAPER["metrics"]["scraper"]["podLabels"])
    assert policies.ingress_allowed(proxy, prometheus, 9091, "TCP")
    assert not policies.ingress_allowed(proxy, prometheus, 8888, "TCP")
    assert not policies.ingress_allowed(proxy, netpol.Pod("agents", SCRAPER["metrics"]["scraper"]["podLabels"]),
                                        9091, "TCP")
    _, results = run(AGENT_ITEM + METRICS_OPEN, spec=SCRAPER)  # the declaration does not cover everyone
    assert len(errors(results)) == 1


# -- proxyNamespace -------------------------------------------------------------------

def test_proxy_namespace_pins_the_proxy_by_namespace_and_labels():
    items, results = run(AGENT_ITEM, spec={"proxyNamespace": "pipelock"})
    assert results == []
    where = {(i["kind"], i["metadata"]["name"]): i["metadata"].get("namespace") for i in items}
    assert where == {("Deployment", "agent"): "agents", ("NetworkPolicy", "agent-pipelock-egress"): "agents",
                     ("ConfigMap", "agent-pipelock"): "pipelock", ("Deployment", "agent-pipelock"): "pipelock",
                     ("Service", "agent-pipelock"): "pipelock", ("NetworkPolicy", "agent-pipelock-policy"): "pipelock",
                     ("PodDisruptionBudget", "agent-pipelock-pdb"): "pipelock"}
    agent = next(i for i in items if i["metadata"]["name"] == "agent")
    env = {e["name"]: e["value"] for e in agent["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HTTPS_PROXY"] == "http://agent-pipelock.pipelock.svc.cluster.local:8888"
    policies = netpol.PolicySet([i for i in items if i["kind"] == "NetworkPolicy"])
    agent_pod = netpol.Pod("agents", {"app": "agent"})
    proxy_labels = next(i for i in items if i["metadata"]["name"] == "agent-pipelock-policy")["spec"][
        "podSelector"]["matchLabels"]
    # the real proxy is reachable; an impostor wearing its labels beside the agent is not
    assert policies.connection_allowed(agent_pod, netpol.Pod("pipelock", proxy_labels), 8888, "TCP")
    assert not policies.egress_allowed(agent_pod, netpol.Pod("agents", proxy_labels), 8888, "TCP")
    # and the proxy admits the agent's namespace and labels together
    assert not policies.ingress_allowed(netpol.Pod("pipelock", proxy_labels), netpol.Pod("other", {"app": "agent"}),
                                        8888, "TCP")


def test_proxy_namespace_needs_workloads_with_a_namespace():
    agent = yaml.safe_load(AGENT_ITEM)[0]
    del agent["metadata"]["namespace"]
    _, results = run(yaml.safe_dump([agent]), spec={"proxyNamespace": "pipelock"})
    (error,) = errors(results)
    assert "has no namespace" in error.message


# -- settings that could only be wrong --------------------------------------------------

@pytest.mark.parametrize(("field", "value", "says"), [
    ("allowCIDRs", ["::ffff:203.0.113.0/120"], "203.0.113.0/24"),
    ("allowCIDRs", ["64:ff9b::/96"], "IPv6 form of IPv4"),
    ("allowCIDRs", ["10.1.0.0/16"], "denyCIDRs"),
    ("denyCIDRs", ["010.0.0.0/8"], "10.0.0.0/8"),
])
def test_cidr_settings_the_api_server_may_read_otherwise_are_refused(field, value, says):
    _, results = run(AGENT_ITEM, spec={"proxyEgress": {field: value}})
    (error,) = errors(results)
    assert error.field["path"] == f"spec.proxyEgress.{field}[0]" and says in error.message


def test_the_exit_code_says_what_the_readme_promises():
    """One package, every class of path: each is an error (exit 1) naming the
    policy; the same package without them passes (exit 0)."""
    leaks = (HASH_ANYWHERE + METRICS_OPEN + user_policy("escape", {
        "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {}}]}]}))
    text = HEADER + AGENT_ITEM + leaks
    _, results, _ = runner.process(text.encode())
    names = {r.resource_ref["name"] for r in results if r.severity == "error"}
    assert names == {"hash-egress", "metrics-open", "escape"}
    _, results, _ = runner.process((HEADER + AGENT_ITEM).encode())
    assert not any(r.severity == "error" for r in results)
