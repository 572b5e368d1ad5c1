"""Policies of other kinds, read for the paths they open: Calico, Cilium,
the admin policies; what cannot be read is refused, by name, with an
opt-out. Each case states the documented semantics it checks."""

import pytest
import yaml

from pipelock_companion import runner
from pipelock_companion.krm.item import Item
from pipelock_companion.verify import kinds, netpol
from pipelock_companion.verify import reachability as R
from pipelock_companion.verify.netpol import EGRESS, INGRESS

from conftest import AGENT_ITEM

NS = "agents"
AGENT = {"app": "agent"}
PROXY = {"app.kubernetes.io/name": "pipelock", "app.kubernetes.io/instance": "agent-pipelock",
         "app.kubernetes.io/component": "proxy"}
DEPLOYMENT_KEYS = ("pod-template-hash",)


def obj(api_version, kind, name, spec, namespace=None, labels=None):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


def compiled(*objects, context=()):
    items = [Item.from_data(o) for o in objects]
    assert all(kinds.is_policy(i) for i in items)
    policies, problems = kinds.compile_items(items, [Item.from_data(o) for o in context])
    return netpol.PolicySet(compiled=policies, problems=problems)


def isolation():
    """The agent and proxy NetworkPolicies the function generates (shape)."""
    dns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
           "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    dns_ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    return [
        obj("networking.k8s.io/v1", "NetworkPolicy", "agent-egress", {
            "podSelector": {"matchLabels": AGENT}, "policyTypes": ["Egress"],
            "egress": [{"to": [dns], "ports": dns_ports},
                       {"to": [{"podSelector": {"matchLabels": PROXY}}], "ports": [{"port": 8888}]}]}, NS),
        obj("networking.k8s.io/v1", "NetworkPolicy", "proxy", {
            "podSelector": {"matchLabels": PROXY}, "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": AGENT}}], "ports": [{"port": 8888}]}],
            "egress": [{"to": [dns], "ports": dns_ports},
                       {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16", "10.0.0.0/8"]}}],
                        "ports": [{"port": 443}]}]}, NS)]


def agent_leaks(*objects, unknown=DEPLOYMENT_KEYS, context=(), namespaces=None):
    return R.agent_egress(compiled(*isolation(), *objects, context=context), NS, AGENT, PROXY, unknown=unknown,
                          namespaces=namespaces)


def proxy_in(*objects):
    return R.proxy_ingress(compiled(*isolation(), *objects), NS, AGENT, PROXY, unknown=DEPLOYMENT_KEYS)


def proxy_out(*objects):
    return R.proxy_egress(compiled(*isolation(), *objects), NS, PROXY, unknown=DEPLOYMENT_KEYS,
                          forbidden=["169.254.0.0/16", "10.0.0.0/8"])


def witness(violation):
    peer = violation.peer
    shown = (peer.namespace, peer.labels) if isinstance(peer, netpol.Pod) else str(peer)
    return violation.policy, violation.field, shown, violation.port, violation.protocol


def refusals(policies, labels, direction, unknown=DEPLOYMENT_KEYS, namespace=NS):
    pod = R.guarded_pod(namespace, labels, (), R.known_namespaces(None), unknown)
    return [(p.key, field) for p in policies.selecting(pod, direction) for field, _ in p.refusals.get(direction, ())]


def test_the_isolation_alone_has_no_leak():
    assert agent_leaks() == [] and proxy_in() == [] and proxy_out() == []


# -- Calico -------------------------------------------------------------------

CALICO = "projectcalico.org/v3"


def calico(kind, name, spec, namespace=None):
    return obj(CALICO, kind, name, spec, namespace)


def test_calico_global_allow_opens_the_agent_and_the_proxy():
    allow_all = calico("GlobalNetworkPolicy", "allow-all", {"selector": "all()", "types": ["Egress"],
                                                            "egress": [{"action": "Allow"}]})
    assert [witness(v) for v in agent_leaks(allow_all)] == [
        ("allow-all", "spec.egress[0]", "203.0.113.7", 443, "TCP")]
    assert [witness(v) for v in proxy_out(allow_all)] == [
        ("allow-all", "spec.egress[0]", "169.254.169.254", 443, "TCP")]
    # crd.projectcalico.org/v1 is the store Felix reads: the same object there opens the same paths
    stored = dict(allow_all, apiVersion="crd.projectcalico.org/v1")
    assert [witness(v) for v in agent_leaks(stored)] == [("allow-all", "spec.egress[0]", "203.0.113.7", 443, "TCP")]


def test_calico_rules_to_the_dns_pods_are_permitted_and_to_the_internet_are_not():
    dns = {"action": "Allow", "protocol": "UDP",
           "destination": {"namespaceSelector": "projectcalico.org/name == 'kube-system'",
                           "selector": "k8s-app == 'kube-dns'", "ports": [53]}}
    web = {"action": "Allow", "protocol": "TCP", "destination": {"nets": ["0.0.0.0/0"], "ports": ["440:450"]}}
    policy = calico("NetworkPolicy", "agent", {"selector": "app == 'agent'", "egress": [dns, web]}, NS)
    assert [witness(v) for v in agent_leaks(policy)] == [
        ("agents/agent", "spec.egress[1].destination.nets[0]", "203.0.113.7", 443, "TCP")]
    # a namespaced Calico policy selects only the pods of its namespace
    elsewhere = calico("NetworkPolicy", "agent", {"selector": "app == 'agent'", "egress": [web]}, "other")
    assert agent_leaks(elsewhere) == []


def test_calico_selector_peers_stay_in_the_policys_namespace_and_may_be_network_sets():
    same_namespace = {"action": "Allow", "destination": {"selector": "app == 'db'"}}
    policy = calico("NetworkPolicy", "db", {"selector": "all()", "types": ["Egress"], "egress": [same_namespace]},
                    NS)
    assert [witness(v) for v in agent_leaks(policy)] == [
        ("agents/db", "spec.egress[0].destination", (NS, {"app": "db"}), 443, "TCP")]
    # a NetworkSet wearing those labels holds addresses: the rule reaches them too
    network_set = obj(CALICO, "NetworkSet", "partners", {"nets": ["198.51.100.0/24"]}, NS, labels={"app": "db"})
    leaks = R.agent_egress(compiled(*isolation(), policy, context=[network_set]), NS, AGENT, PROXY)
    assert ("agents/db", "spec.egress[0].destination", "198.51.100.0", 443, "TCP") in [witness(v) for v in leaks]


@pytest.mark.parametrize(("action", "tier", "tier_order", "opens"), [
    ("Allow", None, None, True),             # tier default: an Allow is final, before or after our policy
    ("Pass", None, None, True),              # skips the rest of default: the profile then allows all
    ("Pass", "kube-admin", None, False),     # a tier before default hands the packet to default
    ("Allow", "kube-admin", None, True),     # a tier before default decides first
    ("Allow", "kube-baseline", None, False),  # after default, which ends in deny for an isolated pod
    ("Allow", "security", None, True),       # a tier of unknown order: it may come first
    ("Allow", "security", 2_000_000, False),
    ("Allow", "security", 100, True),
    ("Pass", "security", 100, False),
    ("Deny", None, None, False),
    ("Log", None, None, False),
])
def test_calico_actions_and_tiers(action, tier, tier_order, opens):
    spec = {"selector": "all()", "types": ["Egress"], "egress": [{"action": action}]}
    if tier:
        spec["tier"] = tier
    context = [obj(CALICO, "Tier", tier, {"order": tier_order})] if tier_order is not None else []
    policy = calico("GlobalNetworkPolicy", "p", spec)
    assert bool(agent_leaks(policy, context=context)) is opens


def test_calico_not_nets_is_everything_else():
    rule = {"action": "Allow", "destination": {"notNets": ["169.254.0.0/16"]}}
    policy = calico("GlobalNetworkPolicy", "p", {"selector": "app.kubernetes.io/name == 'pipelock'",
                                                 "types": ["Egress"], "egress": [rule]})
    # every IPv4 address but metadata, and every IPv6 one: 10.0.0.0 and its IPv4-compatible form leak
    assert [witness(v) for v in proxy_out(policy)] == [
        ("p", "spec.egress[0].destination.notNets", "10.0.0.0", 443, "TCP"),
        ("p", "spec.egress[0].destination.notNets", "::a00:0", 443, "TCP")]


def test_calico_runtime_labels_may_select_the_agent():
    """pod-template-hash is on every Deployment pod, value unknown: a policy
    keyed on it may select the agent, whatever it tests."""
    for selector in ("has(pod-template-hash)", "pod-template-hash == 'abc'", "!has(pod-template-hash)"):
        policy = calico("GlobalNetworkPolicy", "hash", {"selector": selector, "types": ["Egress"],
                                                        "egress": [{"action": "Allow"}]})
        assert agent_leaks(policy), selector
        assert agent_leaks(policy, unknown=()) == [] or selector.startswith("!"), selector


def test_calico_namespace_selector_on_an_unknown_namespace_may_match():
    policy = calico("GlobalNetworkPolicy", "team", {"namespaceSelector": "team == 'x'", "types": ["Egress"],
                                                    "egress": [{"action": "Allow"}]})
    assert agent_leaks(policy)  # the Namespace is not in the input: it may carry team=x
    assert agent_leaks(policy, namespaces={NS: {"team": "y"}}) == []
    assert agent_leaks(policy, namespaces={NS: {"team": "x"}})


def test_calico_host_endpoint_policies_never_select_pods():
    policy = calico("GlobalNetworkPolicy", "host", {"selector": "all()", "doNotTrack": True, "types": ["Egress"],
                                                    "egress": [{"action": "Allow"}]})
    assert agent_leaks(policy) == []


@pytest.mark.parametrize(("destination", "field"), [
    ({"services": {"name": "api", "namespace": "default"}}, "spec.egress[0].destination.services"),
    ({"selector": "app contains 'web'"}, "spec.egress[0].destination"),
    ({"namespaceSelector": "global() || team == 'x'"}, "spec.egress[0].destination"),
])
def test_calico_constructs_the_analysis_cannot_read_are_refused(destination, field):
    policy = calico("NetworkPolicy", "odd", {"selector": "app == 'agent'", "types": ["Egress"],
                                             "egress": [{"action": "Allow", "destination": destination}]}, NS)
    policies = compiled(policy)
    assert refusals(policies, AGENT, EGRESS) == [("agents/odd", field)]
    assert refusals(policies, {"app": "other"}, EGRESS) == []  # it cannot select that pod: no refusal


def test_calico_global_namespace_selector_is_any_address():
    policy = calico("GlobalNetworkPolicy", "sets", {"selector": "all()", "types": ["Egress"],
                                                    "egress": [{"action": "Allow",
                                                                "destination": {"namespaceSelector": "global()"}}]})
    assert [witness(v)[2] for v in agent_leaks(policy)] == ["203.0.113.7", "2001:db8::7"]


def test_calico_selector_that_does_not_parse_is_refused_for_every_pod():
    policy = calico("GlobalNetworkPolicy", "typo", {"selector": "app = 'agent'", "egress": [{"action": "Allow"}]})
    policies = compiled(policy)
    assert refusals(policies, AGENT, EGRESS) == [("typo", "spec.selector")]
    assert refusals(policies, PROXY, INGRESS) == [("typo", "spec.selector")]


# -- Cilium -------------------------------------------------------------------

CILIUM = "cilium.io/v2"


def test_cilium_world_egress_is_unioned_with_network_policies():
    policy = obj(CILIUM, "CiliumNetworkPolicy", "web", {
        "endpointSelector": {"matchLabels": {"app": "agent"}},
        "egress": [{"toEntities": ["world"], "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]},
                   {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}],
                    "toPorts": [{"ports": [{"port": "80"}], "rules": {"http": [{"method": "GET"}]}}]}]}, NS)
    assert [witness(v) for v in agent_leaks(policy)] == [
        ("agents/web", "spec.egress[0].toEntities[0]", "203.0.113.7", 443, "TCP"),
        ("agents/web", "spec.egress[0].toEntities[0]", "2001:db8::7", 443, "TCP"),
        ("agents/web", "spec.egress[1].toCIDRSet[0]", "203.0.113.7", 80, "TCP")]  # L7 rules narrow, the port is open


def test_cilium_endpoints_stay_in_the_namespace_unless_the_policy_is_clusterwide():
    rule = {"toEndpoints": [{}], "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}
    namespaced = obj(CILIUM, "CiliumNetworkPolicy", "db", {"endpointSelector": {}, "egress": [rule]}, NS)
    (leak,) = agent_leaks(namespaced)
    assert leak.peer.namespace == NS
    cluster = obj(CILIUM, "CiliumClusterwideNetworkPolicy", "db", {"endpointSelector": {}, "egress": [rule]})
    (leak,) = agent_leaks(cluster)
    assert leak.peer.namespace == "other-namespace"
    dns = obj(CILIUM, "CiliumNetworkPolicy", "dns", {"endpointSelector": {}, "egress": [{
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns"}}],
        "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}]}]}]}, NS)
    assert agent_leaks(dns) == []


def test_cilium_selects_through_filtered_and_runtime_labels():
    """Cilium drops pod-template-hash (and keys under kubernetes.io/) from its
    identities: a selector on them may hold or not, so the policy may select."""
    hashed = obj(CILIUM, "CiliumNetworkPolicy", "f", {"endpointSelector": {"matchLabels": {"pod-template-hash": "a"}},
                                                      "egress": [{"toEntities": ["all"]}]}, NS)
    assert agent_leaks(hashed) and agent_leaks(hashed, unknown=()) == []
    # a template label under kubernetes.io/ is not in the identity: DoesNotExist holds on Cilium
    absent = obj(CILIUM, "CiliumNetworkPolicy", "f", {"endpointSelector": {"matchExpressions": [
        {"key": "kubernetes.io/role", "operator": "DoesNotExist"}]}, "egress": [{"toEntities": ["all"]}]}, NS)
    labelled = {**AGENT, "kubernetes.io/role": "agent"}
    assert R.agent_egress(compiled(*isolation(), absent), NS, labelled, PROXY)
    node = obj(CILIUM, "CiliumClusterwideNetworkPolicy", "host", {"nodeSelector": {},
                                                                  "egress": [{"toEntities": ["all"]}]})
    assert agent_leaks(node) == []  # a host policy never selects a pod


def test_cilium_icmp_is_a_path_and_deny_rules_are_skipped():
    policy = obj(CILIUM, "CiliumNetworkPolicy", "ping", {
        "endpointSelector": {}, "egress": [{"toCIDR": ["0.0.0.0/0"], "icmps": [{"fields": [{"type": 8}]}]}],
        "egressDeny": [{"toEntities": ["all"]}]}, NS)
    (leak,) = agent_leaks(policy)
    assert (str(leak.peer), leak.protocol) == ("203.0.113.7", "ICMP")
    assert "can reach 203.0.113.7 on ICMP" in leak.message


def test_cilium_ingress_into_the_proxy_and_specs_lists():
    policy = obj(CILIUM, "CiliumNetworkPolicy", "scrape", None, NS)
    policy["specs"] = [{"endpointSelector": {"matchLabels": {"app": "other"}}, "ingress": [{"fromEntities": ["all"]}]},
                       {"endpointSelector": {"matchLabels": {"app.kubernetes.io/name": "pipelock"}},
                        "ingress": [{"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "9091"}]}]}]}]
    del policy["spec"]
    assert [witness(v) for v in proxy_in(policy)] == [
        ("agents/scrape", "specs[1].ingress[0].fromEndpoints[0]", (NS, {}), 9091, "TCP")]


@pytest.mark.parametrize(("rule", "field"), [
    ({"toFQDNs": [{"matchName": "api.example.com"}]}, "spec.egress[0].toFQDNs"),
    ({"toServices": [{"k8sService": {"serviceName": "api", "namespace": "default"}}]}, "spec.egress[0].toServices"),
    ({"toEntities": ["kube-apiserver"]}, "spec.egress[0].toEntities[0]"),
    ({"toCIDRSet": [{"cidrGroupRef": "partners"}]}, "spec.egress[0].toCIDRSet[0].cidrGroupRef"),
    ({"toEndpoints": [{"matchLabels": {"reserved:host": ""}}]}, "spec.egress[0].toEndpoints[0]"),
])
def test_cilium_constructs_the_analysis_cannot_read_are_refused(rule, field):
    policy = obj(CILIUM, "CiliumNetworkPolicy", "odd", {"endpointSelector": {}, "egress": [rule]}, NS)
    assert refusals(compiled(policy), AGENT, EGRESS) == [("agents/odd", field)]


# -- the admin policies --------------------------------------------------------

ADMIN = "policy.networking.k8s.io/v1alpha1"


def test_admin_allow_overrides_network_policies():
    anp = obj(ADMIN, "AdminNetworkPolicy", "egress-all", {
        "priority": 5, "subject": {"namespaces": {}},
        "egress": [{"name": "web", "action": "Allow", "to": [{"networks": ["0.0.0.0/0"]}],
                    "ports": [{"portNumber": {"protocol": "TCP", "port": 443}}]},
                   {"name": "deny", "action": "Deny", "to": [{"namespaces": {}}]}]})
    assert [witness(v) for v in agent_leaks(anp)] == [
        ("egress-all", "spec.egress[0].to[0].networks[0]", "203.0.113.7", 443, "TCP")]
    for action in ("Deny", "Pass"):
        closed = obj(ADMIN, "AdminNetworkPolicy", "x", {"priority": 5, "subject": {"namespaces": {}},
                                                        "egress": [{"action": action, "to": [{"namespaces": {}}]}]})
        assert agent_leaks(closed) == []


def test_admin_subject_by_pods_and_ingress_into_the_proxy():
    by_pods = obj(ADMIN, "AdminNetworkPolicy", "scrape", {
        "priority": 1, "subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {
            "app.kubernetes.io/name": "pipelock"}}}},
        "ingress": [{"action": "Allow", "from": [{"namespaces": {"matchLabels": {
            "kubernetes.io/metadata.name": "monitoring"}}}]}]})
    assert [witness(v) for v in proxy_in(by_pods)] == [
        ("scrape", "spec.ingress[0].from[0]", ("monitoring", {}), 8888, "TCP")]
    assert agent_leaks(by_pods) == []


def test_cluster_network_policy_admin_tier_accepts_and_baseline_cannot_open():
    spec = {"priority": 3, "subject": {"namespaces": {}},
            "egress": [{"action": "Accept", "to": [{"networks": ["0.0.0.0/0"]}],
                        "protocols": [{"tcp": {"destinationPort": {"range": {"start": 440, "end": 450}}}}]}]}
    admin = obj("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy", "cnp", dict(spec, tier="Admin"))
    assert [witness(v) for v in agent_leaks(admin)] == [("cnp", "spec.egress[0].to[0].networks[0]", "203.0.113.7",
                                                         443, "TCP")]
    baseline = obj("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy", "cnp", dict(spec, tier="Baseline"))
    assert agent_leaks(baseline) == []
    banp = obj(ADMIN, "BaselineAdminNetworkPolicy", "default", {"subject": {"namespaces": {}}, "egress": [
        {"action": "Allow", "to": [{"networks": ["0.0.0.0/0"]}]}]})
    assert not kinds.is_policy(Item.from_data(banp))


@pytest.mark.parametrize("peer", [{"nodes": {}}, {"domainNames": ["*.example.com"]}])
def test_admin_peers_the_analysis_cannot_read_are_refused(peer):
    anp = obj(ADMIN, "AdminNetworkPolicy", "odd", {"priority": 1, "subject": {"namespaces": {}},
                                                   "egress": [{"action": "Allow", "to": [peer]}]})
    assert refusals(compiled(anp), AGENT, EGRESS) == [("odd", f"spec.egress[0].to[0].{next(iter(peer))}")]


# -- kinds nobody reads here -----------------------------------------------------

def test_an_unknown_policy_kind_is_refused_where_it_may_select():
    antrea = obj("crd.antrea.io/v1beta1", "ClusterNetworkPolicy", "antrea", {})
    old_api = obj("extensions/v1beta1", "NetworkPolicy", "old", {"podSelector": {}}, NS)
    elsewhere = obj("crd.antrea.io/v1beta1", "NetworkPolicy", "theirs", {}, "other")
    policies = compiled(antrea, old_api, elsewhere)
    assert refusals(policies, AGENT, EGRESS) == [("antrea", "kind"), ("agents/old", "kind")]
    assert not kinds.is_policy(Item.from_data(obj("v1", "ConfigMap", "x", {})))


# -- end to end: refused is an error, unless reviewed ----------------------------

FQDN = """- apiVersion: cilium.io/v2
  kind: CiliumNetworkPolicy
  metadata: {name: fqdn, namespace: agents}
  spec:
    endpointSelector: {matchLabels: {app: agent}}
    egress:
    - toFQDNs: [{matchName: api.example.com}]
"""
REVIEWED = """functionConfig:
  apiVersion: fn.pipelock.dev/v1alpha1
  kind: CompanionProxy
  metadata: {name: reviewed}
  spec:
    unanalysedPolicies:
    - {kind: CiliumNetworkPolicy, namespace: agents, name: fqdn}
"""


def run(items, config=""):
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items + config
    out, results, _ = runner.process(text.encode())
    return yaml.safe_load(out), [r for r in results if r.severity != "info"]


def test_an_unread_policy_selecting_the_agent_is_an_error_naming_it():
    _, results = run(AGENT_ITEM + FQDN)
    (error,) = results
    assert error.severity == "error"
    assert error.resource_ref == {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "name": "fqdn",
                                  "namespace": "agents"}
    assert error.field == {"path": "spec.egress[0].toFQDNs"}
    assert "spec.unanalysedPolicies" in error.message and "Deployment agent" in error.message


def test_an_unread_policy_named_in_unanalysed_policies_is_a_warning():
    _, results = run(AGENT_ITEM + FQDN, REVIEWED)
    assert [r.severity for r in results] == ["warning"]
    # its readable rules are still analysed
    _, results = run(AGENT_ITEM + FQDN + "    - toEntities: [world]\n", REVIEWED)
    assert sorted((r.severity, r.field["path"]) for r in results) == [
        ("error", "spec.egress[1].toEntities[0]"), ("warning", "spec.egress[0].toFQDNs")]
