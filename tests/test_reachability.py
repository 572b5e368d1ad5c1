"""The leak analysis: worked cases, then randomized policies cross-checked
against a brute-force search of a small universe by an independent oracle."""

import functools
import ipaddress
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelock_companion import conventions as C
from pipelock_companion.topology import policy_rules
from pipelock_companion.verify import netpol
from pipelock_companion.verify import reachability as R
from pipelock_companion.verify.netpol import EGRESS, INGRESS, Pod

IP = ipaddress.ip_address
NS = "agents"
AGENT = {"app": "agent"}
PROXY = {"app.kubernetes.io/name": "pipelock", "app.kubernetes.io/instance": "bot-pipelock",
         "app.kubernetes.io/component": "proxy"}
DNS_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def policy(name, spec, namespace=NS):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def agent_policy(extra_rules=()):
    """The shape the function generates for the agent."""
    return policy("bot-pipelock-egress", {
        "podSelector": {"matchLabels": AGENT}, "policyTypes": ["Egress"],
        "egress": [{"to": [DNS_PEER], "ports": DNS_PORTS},
                   {"to": [{"podSelector": {"matchLabels": PROXY}}], "ports": [{"protocol": "TCP", "port": 8888}]},
                   *extra_rules]})


def proxy_policy(internet=None):
    """The shape the function generates for the proxy: the internet minus the forbidden ranges."""
    internet = internet or policy_rules.internet_peers(C.EVERYWHERE_CIDRS, R.FORBIDDEN_CIDRS)
    return policy("bot-pipelock-policy", {
        "podSelector": {"matchLabels": PROXY}, "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": AGENT}}], "ports": [{"protocol": "TCP", "port": 8888}]}],
        "egress": [{"to": [DNS_PEER], "ports": DNS_PORTS},
                   {"to": internet, "ports": [{"protocol": "TCP", "port": 80}, {"protocol": "TCP", "port": 443}]}]})


def check(policies, **kw):
    return R.check_agent(policies, NS, AGENT, PROXY, **kw)


def summary(violations):
    return [(v.check, v.kind, v.policy, v.field, str(v.peer) if not isinstance(v.peer, Pod) else
             (v.peer.namespace, v.peer.labels), v.port, v.protocol) for v in violations]


# -- worked cases -----------------------------------------------------------

def test_generated_topology_has_no_leak():
    assert check([agent_policy(), proxy_policy()]) == []


def test_nothing_isolated_is_three_missing_isolations():
    violations = check([])
    assert [(v.check, v.kind, v.policy, v.rule) for v in violations] == [
        (R.AGENT_EGRESS, R.MISSING_ISOLATION, None, None),
        (R.PROXY_INGRESS, R.MISSING_ISOLATION, None, None),
        (R.PROXY_EGRESS, R.MISSING_ISOLATION, None, None)]
    assert (str(violations[0].peer), violations[0].port, violations[0].protocol) == ("203.0.113.7", 443, "TCP")
    assert (str(violations[2].peer), violations[2].port) == ("169.254.169.254", 443)
    assert "no NetworkPolicy isolates the agent pods (agents: app=agent) for egress" in violations[0].message


def test_dns_open_to_every_address_is_a_tunnel():
    wide_dns = policy("bot-pipelock-egress", {
        "podSelector": {"matchLabels": AGENT}, "policyTypes": ["Egress"],
        "egress": [{"ports": DNS_PORTS}]})
    assert summary(check([wide_dns, proxy_policy()])) == [
        (R.AGENT_EGRESS, R.LEAK, "agents/bot-pipelock-egress", "spec.egress[0]", "203.0.113.7", 53, "UDP")]


def test_proxy_egress_without_exceptions_reaches_metadata():
    violations = check([agent_policy(), proxy_policy(internet=[{"ipBlock": {"cidr": "0.0.0.0/0"}}])])
    assert summary(violations) == [(R.PROXY_EGRESS, R.LEAK, "agents/bot-pipelock-policy", "spec.egress[1].to[0]",
                                    "169.254.169.254", 80, "TCP")]
    assert violations[0].rule == "spec.egress[1]"
    assert violations[0].message.startswith("NetworkPolicy agents/bot-pipelock-policy spec.egress[1].to[0] allows it:")


def test_another_policy_selecting_the_agent_voids_the_lockdown():
    allow_all = policy("allow-web", {"podSelector": {}, "policyTypes": ["Egress"],
                                     "egress": [{"ports": [{"port": 443}]}]})
    violations = check([agent_policy(), proxy_policy(), allow_all])
    assert summary(violations) == [
        (R.AGENT_EGRESS, R.LEAK, "agents/allow-web", "spec.egress[0]", "203.0.113.7", 443, "TCP"),
        (R.PROXY_EGRESS, R.LEAK, "agents/allow-web", "spec.egress[0]", "169.254.169.254", 443, "TCP")]


def test_policies_elsewhere_do_not_matter():
    allow_all = policy("allow-all", {"podSelector": {}, "egress": [{}]}, namespace="other")
    assert check([agent_policy(), proxy_policy(), allow_all]) == []


def test_pod_peers_get_a_pod_witness_outside_the_permits():
    # the first value that fits the selector makes a proxy pod (permitted on 8888): the search must skip it
    others = {k: v for k, v in PROXY.items() if k != "app.kubernetes.io/name"}
    rule = {"to": [{"podSelector": {"matchLabels": others, "matchExpressions": [
        {"key": "app.kubernetes.io/name", "operator": "In", "values": ["pipelock", "zz-impostor"]}]}}],
        "ports": [{"protocol": "TCP", "port": 8888}]}
    violations = R.agent_egress([agent_policy([rule])], NS, AGENT, PROXY)
    assert summary(violations) == [(R.AGENT_EGRESS, R.LEAK, "agents/bot-pipelock-egress", "spec.egress[2].to[0]",
                                    (NS, {**others, "app.kubernetes.io/name": "zz-impostor"}), 8888, "TCP")]
    # when every pod the peer can match is a proxy pod, nothing leaks
    exact = {"to": [{"podSelector": {"matchLabels": PROXY, "matchExpressions": [
        {"key": "tier", "operator": "DoesNotExist"}]}}], "ports": [{"protocol": "TCP", "port": 8888}]}
    assert R.agent_egress([agent_policy([exact])], NS, AGENT, PROXY) == []


def test_search_honours_not_in_and_gives_exists_a_fresh_value():
    # app must be agent or db but not agent; tier must exist, and tier=a is permitted
    rule = {"to": [{"podSelector": {"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["agent", "db"]},
        {"key": "app", "operator": "NotIn", "values": ["agent"]},
        {"key": "tier", "operator": "Exists"}]}}], "ports": [{"port": 5432}]}
    permits = [R.Permit.pods(NS, {"tier": "a"}, [{"port": 5432}])]
    (violation,) = R.agent_egress([agent_policy([rule])], NS, AGENT, PROXY, permits=permits)
    assert (violation.peer.namespace, violation.peer.labels) == (NS, {"app": "db", "tier": "other-value"})
    impossible = {"to": [{"podSelector": {"matchLabels": {"app": "db"}, "matchExpressions": [
        {"key": "app", "operator": "NotIn", "values": ["db"]}]}}]}
    assert R.agent_egress([agent_policy([impossible])], NS, AGENT, PROXY) == []


def test_namespace_selector_witness_is_a_hypothetical_namespace():
    rule = {"to": [{"namespaceSelector": {"matchLabels": {"team": "data"}}}], "ports": [{"port": 5432}]}
    (violation,) = R.agent_egress([agent_policy([rule])], NS, AGENT, PROXY)
    assert violation.peer.namespace == "other-namespace"
    assert violation.peer.namespace_labels == {"team": "data", "kubernetes.io/metadata.name": "other-namespace"}
    assert (violation.port, violation.protocol) == (5432, "TCP")
    assert "any pod in namespace other-namespace (labelled team=data)" in violation.message


def test_known_namespace_labels_are_respected():
    rule = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system",
                                                          "tier": "infra"}}}], "ports": DNS_PORTS}
    assert R.agent_egress([agent_policy([rule])], NS, AGENT, PROXY, namespaces={"kube-system": {}}) == []
    (violation,) = R.agent_egress([agent_policy([rule])], NS, AGENT, PROXY)  # unknown: kube-system may carry it
    assert (violation.peer.namespace, violation.peer.labels, violation.port) == ("kube-system", {}, 53)


def test_dns_pods_on_other_ports_leak():
    rule = {"to": [DNS_PEER], "ports": [{"port": 9153}]}
    (violation,) = R.agent_egress([agent_policy([rule])], NS, AGENT, PROXY)
    assert (violation.peer.namespace, violation.peer.labels, violation.port) == \
        ("kube-system", {"k8s-app": "kube-dns"}, 9153)


def test_permits_and_dns_cidrs_are_honoured():
    db = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}},
                  "podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]}
    api = {"to": [{"ipBlock": {"cidr": "10.96.0.1/32"}}], "ports": [{"port": 443}]}
    node_dns = {"to": [{"ipBlock": {"cidr": "169.254.20.10/32"}}], "ports": DNS_PORTS}
    policies = [agent_policy([db, api, node_dns]), proxy_policy()]
    permits = [R.Permit.pods("data", {"app": "db"}, [{"port": 5432}]),
               R.Permit.cidrs(["10.96.0.1/32"], [{"port": 443}])]
    assert check(policies, permits=permits, dns_cidrs=["169.254.20.10/32"]) == []
    leaks = check(policies)
    assert [(v.field, str(v.peer) if not isinstance(v.peer, Pod) else v.peer.namespace, v.port) for v in leaks] == [
        ("spec.egress[2].to[0]", "data", 5432), ("spec.egress[3].to[0]", "10.96.0.1", 443),
        ("spec.egress[4].to[0]", "169.254.20.10", 53)]
    # the proxy may use node-local DNS too, though it sits in a forbidden range
    proxy_node_dns = proxy_policy()
    proxy_node_dns["spec"]["egress"].append(node_dns)
    assert R.proxy_egress([proxy_node_dns], NS, PROXY, dns_cidrs=["169.254.20.10/32"]) == []
    assert [str(v.peer) for v in R.proxy_egress([proxy_node_dns], NS, PROXY)] == ["169.254.20.10"]


def test_a_range_leaks_just_past_what_is_permitted():
    api = {"to": [{"ipBlock": {"cidr": "10.96.0.1/32"}}], "ports": [{"port": 6443, "endPort": 6450}]}
    permits = [R.Permit.cidrs(["10.96.0.1/32"], [{"port": 6440, "endPort": 6444}])]
    (violation,) = R.agent_egress([agent_policy([api])], NS, AGENT, PROXY, permits=permits)
    assert (str(violation.peer), violation.port, violation.protocol) == ("10.96.0.1", 6445, "TCP")
    permits.append(R.Permit.cidrs(["10.96.0.0/30"], [{"port": 6445, "endPort": 6450}]))
    assert R.agent_egress([agent_policy([api])], NS, AGENT, PROXY, permits=permits) == []


def test_proxy_ingress_from_elsewhere():
    open_ingress = policy("scrape", {"podSelector": {"matchLabels": PROXY}, "policyTypes": ["Ingress"],
                                     "ingress": [{"from": [{"namespaceSelector": {}}, {"podSelector": {}}]},
                                                 {"ports": [{"port": 9091}]}]})
    violations = R.proxy_ingress([proxy_policy(), open_ingress], NS, AGENT, PROXY)
    assert summary(violations) == [
        (R.PROXY_INGRESS, R.LEAK, "agents/scrape", "spec.ingress[0].from[0]", ("other-namespace", {}), 8888, "TCP"),
        (R.PROXY_INGRESS, R.LEAK, "agents/scrape", "spec.ingress[0].from[1]", (NS, {}), 8888, "TCP"),
        # every port of the proxy is checked: the metrics port open to everyone is a leak
        (R.PROXY_INGRESS, R.LEAK, "agents/scrape", "spec.ingress[1]", "203.0.113.7", 9091, "TCP")]


def test_the_agent_reaches_the_proxy_on_its_port_only():
    other_port = policy("agent-any-port", {"podSelector": {"matchLabels": PROXY}, "policyTypes": ["Ingress"],
                                           "ingress": [{"from": [{"podSelector": {"matchLabels": AGENT}}]}]})
    assert summary(R.proxy_ingress([proxy_policy(), other_port], NS, AGENT, PROXY)) == [
        (R.PROXY_INGRESS, R.LEAK, "agents/agent-any-port", "spec.ingress[0].from[0]", (NS, AGENT), 8888, "UDP")]


def test_a_declared_scraper_reaches_the_metrics_port_and_nothing_else():
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                  "podSelector": {"matchLabels": {"app": "prometheus"}}}
    scrape = policy("scrape", {"podSelector": {"matchLabels": PROXY}, "policyTypes": ["Ingress"],
                               "ingress": [{"from": [monitoring], "ports": [{"port": 9091}]}]})
    scraper = R.Permit.pods("monitoring", {"app": "prometheus"}, [{"protocol": "TCP", "port": 9091}])
    assert R.proxy_ingress([proxy_policy(), scrape], NS, AGENT, PROXY, scraper=scraper) == []
    # without the declaration it is a leak; with it, a wider rule still is
    assert summary(R.proxy_ingress([proxy_policy(), scrape], NS, AGENT, PROXY)) == [
        (R.PROXY_INGRESS, R.LEAK, "agents/scrape", "spec.ingress[0].from[0]", ("monitoring", {"app": "prometheus"}),
         9091, "TCP")]
    wider = policy("scrape", {"podSelector": {"matchLabels": PROXY}, "policyTypes": ["Ingress"],
                              "ingress": [{"from": [monitoring]}]})
    assert summary(R.proxy_ingress([proxy_policy(), wider], NS, AGENT, PROXY, scraper=scraper)) == [
        (R.PROXY_INGRESS, R.LEAK, "agents/scrape", "spec.ingress[0].from[0]", ("monitoring", {"app": "prometheus"}),
         8888, "TCP")]


def test_proxy_ingress_by_named_port():
    named = policy("named", {"podSelector": {}, "policyTypes": ["Ingress"],
                             "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "http"}]},
                                         {"ports": [{"port": "metrics"}]}, {"ports": [{"port": "admin"}]}]})
    violations = R.proxy_ingress([named], NS, AGENT, PROXY)
    # the proxy names 8888 http and 9091 metrics; it has no port named admin
    assert summary(violations) == [
        (R.PROXY_INGRESS, R.LEAK, "agents/named", "spec.ingress[0].from[0]", "203.0.113.7", 8888, "TCP"),
        (R.PROXY_INGRESS, R.LEAK, "agents/named", "spec.ingress[1]", "203.0.113.7", 9091, "TCP")]


def test_proxy_reaching_cluster_pods_by_named_port():
    rule = {"to": [{"namespaceSelector": {}}], "ports": [{"port": "admin", "protocol": "TCP"}]}
    policies = [proxy_policy()]
    policies[0]["spec"]["egress"].append(rule)
    (violation,) = R.proxy_egress(policies, NS, PROXY)
    assert violation.peer.ports == (("admin", 443, "TCP"),)
    assert "(its port named admin)" in violation.message


def test_invalid_permit_entries_permit_nothing():
    permit = R.Permit.cidrs(["nope"], [{"port": 443, "protocol": "ICMP"}])
    assert [p.field for p in permit.problems] == ["cidrs[0].cidr", "ports[0].protocol"]
    api = {"to": [{"ipBlock": {"cidr": "10.96.0.1/32"}}], "ports": [{"port": 443}]}
    assert len(R.agent_egress([agent_policy([api])], NS, AGENT, PROXY, permits=[permit])) == 1
    # a malformed forbidden range forbids nothing, and the others still hold
    private = proxy_policy(internet=[{"ipBlock": {"cidr": "10.0.0.0/8"}}])
    (violation,) = R.proxy_egress([private], NS, PROXY, forbidden=["not-a-range", "10.0.0.0/8"])
    assert str(violation.peer) == "10.0.0.0"


def test_order_is_deterministic():
    policies = [agent_policy([{"to": [{"namespaceSelector": {}}]}]),
                proxy_policy(internet=[{"ipBlock": {"cidr": "10.0.0.0/8"}}]),
                policy("b", {"podSelector": {}, "egress": [{"ports": [{"port": 22}]}]}),
                policy("a", {"podSelector": {}, "ingress": [{}]})]
    expected = [v.message for v in check(policies)]
    assert [(v.check, v.policy, v.field) for v in check(policies)] == [
        (R.AGENT_EGRESS, "agents/b", "spec.egress[0]"),
        (R.AGENT_EGRESS, "agents/bot-pipelock-egress", "spec.egress[2].to[0]"),
        (R.PROXY_INGRESS, "agents/a", "spec.ingress[0]"),
        (R.PROXY_EGRESS, "agents/b", "spec.egress[0]"),
        (R.PROXY_EGRESS, "agents/bot-pipelock-policy", "spec.egress[1].to[0]")]
    for seed in range(5):
        shuffled = list(policies)
        random.Random(seed).shuffle(shuffled)
        assert [v.message for v in check(shuffled)] == expected


# -- randomized cross-check against a brute-force oracle --------------------
#
# The oracle is written from the documented semantics, apart from netpol, for
# the valid shapes the strategies produce. Over a small universe (every label
# combination in every namespace, with IPs and named ports spread over them,
# addresses and ports next to every boundary the strategies use) it checks:
#   - netpol agrees with it on every flow, rule by rule and peer by peer;
#   - completeness: every (policy, rule, peer) that allows a leak in the
#     universe is reported (or missing isolation is);
#   - soundness: every reported witness is allowed by that very peer and rule
#     and is not permitted.

U_NAMESPACES = {"agents": {"team": "x"}, "kube-system": {}, "other": {"team": "y"}}
U_AGENT, U_PROXY, U_DNS = {"app": "agent"}, {"app": "proxy"}, {"app": "kube-dns"}
U_PROXY_PORTS = (("http", 8888, "TCP"), ("metrics", 9091, "TCP"))
U_IPS = [IP(a) for a in (
    "203.0.113.7", "198.51.100.1", "10.0.0.1", "10.1.2.3", "10.4.0.1", "10.5.0.1", "10.128.0.1", "11.0.0.1",
    "169.254.169.254", "169.254.20.10", "169.254.200.1", "172.16.0.1", "192.168.1.1", "100.64.0.1",
    "2001:db8::1", "2001:db9::1", "fd00::1", "fd80::1", "fd00:ec2::254", "fe80::1")]
U_PORTS = (22, 53, 54, 80, 443, 444, 5000, 5001, 8888, 8889, 9091, 65535)
FORBIDDEN = [ipaddress.ip_network(c) for c in R.FORBIDDEN_CIDRS]
LABEL_KEYS, LABEL_VALUES = ["app", "tier"], ["agent", "proxy", "kube-dns", "db"]
NS_KEYS, NS_VALUES = ["team", "kubernetes.io/metadata.name"], ["x", "y", "agents", "kube-system", "other"]
CIDRS = {"0.0.0.0/0": ["10.0.0.0/8", "169.254.0.0/16", "203.0.113.0/24"],
         "10.0.0.0/8": ["10.0.0.0/9", "10.1.0.0/16", "10.5.0.0/16"],
         "10.4.0.0/15": [],  # the permit 10.4.0.0/16 covers its first half only
         "169.254.0.0/16": ["169.254.20.10/32", "169.254.0.0/17"], "169.254.20.10/32": [], "203.0.113.0/24": [],
         "::/0": ["fd00::/8", "fc00::/7", "2001:db8::/32"], "fd00::/8": ["fd00::/9"], "2001:db8::/32": []}
PORT_NAMES = ["http", "metrics", "dns", "web"]
PORT_RANGES = [(80, 443), (53, 54), (443, 444), (5000, 5001), (8888, 8889), (9000, 9100), (1, 65535)]


def u_pod(namespace, labels, ip=None, ports=()):
    return Pod(namespace, labels, ip, ports, U_NAMESPACES.get(namespace))


def grid_pods():
    """Every combination of the label values in every namespace; IPs and
    named ports are spread over them so each kind of pod occurs."""
    choices = [None, *LABEL_VALUES]
    pods = []
    for namespace in sorted(U_NAMESPACES):
        for app in choices:
            for tier in choices:
                i = len(pods)
                labels = {k: v for k, v in (("app", app), ("tier", tier)) if v is not None}
                ports = [(name, U_PORTS[(i * 5 + j * 3) % len(U_PORTS)], netpol.PROTOCOLS[(i + j) % 3])
                         for j, name in enumerate(PORT_NAMES) if (i + j) % 3]
                pods.append(u_pod(namespace, labels, [None, *U_IPS][i % (len(U_IPS) + 1)], ports))
    return pods


GRID = grid_pods()


def selectors(keys, values):
    expression = st.one_of(
        st.builds(lambda k, op, vs: {"key": k, "operator": op, "values": vs}, st.sampled_from(keys),
                  st.sampled_from(["In", "NotIn"]), st.lists(st.sampled_from(values), min_size=1, max_size=2,
                                                             unique=True)),
        st.builds(lambda k, op: {"key": k, "operator": op}, st.sampled_from(keys),
                  st.sampled_from(["Exists", "DoesNotExist"])))
    return st.builds(lambda ml, me: {**({"matchLabels": ml} if ml else {}), **({"matchExpressions": me} if me else {})},
                     st.dictionaries(st.sampled_from(keys), st.sampled_from(values), max_size=2),
                     st.lists(expression, max_size=2))


def ip_blocks(cidr):
    excepts = st.lists(st.sampled_from(CIDRS[cidr]), max_size=2, unique=True) if CIDRS[cidr] else st.just([])
    return excepts.map(lambda ex: {"cidr": cidr, **({"except": ex} if ex else {})})


POD_SELECTORS = st.one_of(st.just({}), st.sampled_from([{"matchLabels": U_AGENT}, {"matchLabels": U_PROXY}]),
                          selectors(LABEL_KEYS, LABEL_VALUES))
NS_SELECTORS = selectors(NS_KEYS, NS_VALUES)
IP_BLOCKS = st.sampled_from(sorted(CIDRS)).flatmap(ip_blocks)
PEERS = st.one_of(st.builds(lambda p: {"podSelector": p}, POD_SELECTORS),
                  st.builds(lambda n: {"namespaceSelector": n}, NS_SELECTORS),
                  st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, POD_SELECTORS, NS_SELECTORS),
                  st.builds(lambda b: {"ipBlock": b}, IP_BLOCKS))
PORT_VALUES = st.one_of(st.none(), st.sampled_from(U_PORTS).map(lambda p: {"port": p}),
                        st.sampled_from(PORT_NAMES).map(lambda n: {"port": n}),
                        st.sampled_from(PORT_RANGES).map(lambda r: {"port": r[0], "endPort": r[1]}))
PORT_ENTRIES = st.builds(lambda proto, value: {**({"protocol": proto} if proto else {}), **(value or {})},
                         st.sampled_from([None, "TCP", "UDP", "SCTP"]), PORT_VALUES)


def maybe_list(items):
    return st.one_of(st.none(), st.just([]), st.lists(items, min_size=1, max_size=2))


def rules(peers_key):
    return st.builds(lambda peers, ports: {**({peers_key: peers} if peers is not None else {}),
                                           **({"ports": ports} if ports is not None else {})},
                     maybe_list(PEERS), maybe_list(PORT_ENTRIES))


POLICY_SPECS = st.builds(
    lambda selector, types, ingress, egress: {"podSelector": selector,
                                              **({"policyTypes": types} if types is not None else {}),
                                              **({"ingress": ingress} if ingress is not None else {}),
                                              **({"egress": egress} if egress is not None else {})},
    POD_SELECTORS, st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]),
    maybe_list(rules("from")), maybe_list(rules("to")))
POLICIES = st.lists(st.tuples(st.sampled_from(["agents", "agents", "kube-system", "other"]), POLICY_SPECS),
                    max_size=4).map(lambda specs: [policy(f"p{i}", spec, ns) for i, (ns, spec) in enumerate(specs)])
EXTRA_PODS = st.lists(st.builds(
    u_pod, st.sampled_from(sorted(U_NAMESPACES)),
    st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2),
    st.one_of(st.none(), st.sampled_from(U_IPS)),
    st.lists(st.tuples(st.sampled_from(PORT_NAMES), st.sampled_from(U_PORTS), st.sampled_from(netpol.PROTOCOLS)),
             max_size=2, unique_by=lambda p: p[0])), max_size=3)


# the oracle

def o_selects(selector, labels):
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for e in selector.get("matchExpressions", []):
        present = e["key"] in labels
        holds = {"In": present and labels.get(e["key"]) in e.get("values", []),
                 "NotIn": not present or labels.get(e["key"]) not in e.get("values", []),
                 "Exists": present, "DoesNotExist": not present}[e["operator"]]
        if not holds:
            return False
    return True


@functools.cache
def o_network(cidr):
    return ipaddress.ip_network(cidr)


def o_in_block(block, ip):
    network = o_network(block["cidr"])
    return ip is not None and ip.version == network.version and ip in network \
        and not any(ip in o_network(e) for e in block.get("except", []))


def o_peer(peer, policy_namespace, endpoint):
    if "ipBlock" in peer:
        return o_in_block(peer["ipBlock"], endpoint.ip if isinstance(endpoint, Pod) else endpoint)
    if not isinstance(endpoint, Pod):
        return False
    if "namespaceSelector" in peer:
        namespace_ok = o_selects(peer["namespaceSelector"],
                                 {**endpoint.namespace_labels, "kubernetes.io/metadata.name": endpoint.namespace})
    else:
        namespace_ok = endpoint.namespace == policy_namespace
    return namespace_ok and ("podSelector" not in peer or o_selects(peer["podSelector"], endpoint.labels))


def o_port(entry, port, protocol, destination):
    if entry.get("protocol", "TCP") != protocol:
        return False
    if "port" not in entry:
        return True
    if isinstance(entry["port"], str):
        return isinstance(destination, Pod) and (entry["port"], port, protocol) in destination.ports
    return entry["port"] <= port <= entry.get("endPort", entry["port"])


def o_rules(policies, pod, direction):
    """None when `pod` is not isolated for `direction`; else its rules as (policy, field, rule)."""
    rules_key = "egress" if direction == EGRESS else "ingress"
    isolated, found = False, []
    for p in policies:
        spec, namespace = p["spec"], p["metadata"]["namespace"]
        types = spec.get("policyTypes") or ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        if namespace == pod.namespace and direction in types and o_selects(spec["podSelector"], pod.labels):
            isolated = True
            found += [(p, f"spec.{rules_key}[{i}]", rule) for i, rule in enumerate(spec.get(rules_key) or [])]
    return found if isolated else None


def o_allowing(rules, pod, direction, endpoint, port, protocol):
    """None when not isolated; else {(policy, rule field, peer field)} that allow the flow."""
    if rules is None:
        return None
    peers_key = "to" if direction == EGRESS else "from"
    destination = endpoint if direction == EGRESS else pod
    found = set()
    for p, field, rule in rules:
        if rule.get("ports") and not any(o_port(e, port, protocol, destination) for e in rule["ports"]):
            continue
        key, namespace = f"{p['metadata']['namespace']}/{p['metadata']['name']}", p["metadata"]["namespace"]
        if not rule.get(peers_key):
            found.add((key, field, field))
        for j, peer in enumerate(rule.get(peers_key) or []):
            if o_peer(peer, namespace, endpoint):
                found.add((key, field, f"{field}.{peers_key}[{j}]"))
    return found


def o_ip(endpoint):
    return endpoint.ip if isinstance(endpoint, Pod) else endpoint


def o_is(endpoint, namespace, labels):
    return isinstance(endpoint, Pod) and endpoint.namespace == namespace \
        and all(endpoint.labels.get(k) == v for k, v in labels.items())


def o_dns(endpoint, port, _protocol):
    return port == 53 and (
        o_is(endpoint, "kube-system", U_DNS) or o_ip(endpoint) == IP("169.254.20.10"))


def o_agent_permitted(endpoint, port, protocol):
    ip = o_ip(endpoint)
    return o_dns(endpoint, port, protocol) \
        or ((port, protocol) == (8888, "TCP") and o_is(endpoint, "agents", U_PROXY)) \
        or ((port, protocol) == (5000, "TCP") and o_is(endpoint, "other", {"app": "db"})) \
        or ((port, protocol) == (443, "TCP") and ip is not None and ip in o_network("10.4.0.0/16"))


def o_proxy_ingress_permitted(endpoint, port, protocol):
    return (port, protocol) == (8888, "TCP") and o_is(endpoint, "agents", U_AGENT)


# IPv6 forms a translator (or the kernel) carries to IPv4, by their RFCs:
# NAT64's well-known prefix (6052) and IPv4-compatible (4291) end in the
# IPv4 address, 6to4 (3056) holds it after 2002:; local-use NAT64 (8215) and
# Teredo (4380) hide it, so they reach any IPv4 address.
O_NAT64 = ipaddress.ip_network("64:ff9b::/96")
O_COMPATIBLE = ipaddress.ip_network("::/96")
O_HIDDEN = [ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("2001::/32")]


def o_forbidden(ip, forbidden):
    """`ip` lies in a forbidden range, itself or as the IPv4 address it is translated to."""
    if any(ip in f for f in forbidden):
        return True
    if ip.version == 4:
        return False
    if any(ip in h for h in O_HIDDEN):
        return any(f.version == 4 for f in forbidden)
    v4 = ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in O_NAT64 or ip in O_COMPATIBLE
                          else None)
    return v4 is not None and any(v4 in f for f in forbidden)


def o_proxy_egress_permitted(endpoint, port, protocol):
    ip = o_ip(endpoint)
    return o_dns(endpoint, port, protocol) or (ip is not None and not o_forbidden(ip, FORBIDDEN))


def run_analysis(policies, known):
    permits = [R.Permit.pods("other", {"app": "db"}, [{"port": 5000}]),
               R.Permit.cidrs(["10.4.0.0/16"], [{"port": 443}])]
    return R.check_agent(policies, "agents", U_AGENT, U_PROXY, proxy_ports=U_PROXY_PORTS,
                         dns=("kube-system", U_DNS), dns_cidrs=["169.254.20.10/32"], permits=permits,
                         namespaces=known)


U_AGENT_POD = u_pod("agents", U_AGENT, "10.1.0.5")
U_PROXY_POD = u_pod("agents", U_PROXY, "10.1.0.6", U_PROXY_PORTS)
U_DNS_POD = u_pod("kube-system", U_DNS, "10.2.0.10", [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")])
FIXED_UNIVERSE = [U_AGENT_POD, U_PROXY_POD, U_DNS_POD, *GRID, *U_IPS]
ALL_REQUESTS = [(port, proto) for port in U_PORTS for proto in netpol.PROTOCOLS]
QUESTIONS = {R.AGENT_EGRESS: (U_AGENT_POD, EGRESS, o_agent_permitted, ALL_REQUESTS),
             R.PROXY_INGRESS: (U_PROXY_POD, INGRESS, o_proxy_ingress_permitted, ALL_REQUESTS),
             R.PROXY_EGRESS: (U_PROXY_POD, EGRESS, o_proxy_egress_permitted, ALL_REQUESTS)}


def unpermitted(permitted, endpoint, requests):
    return [(port, proto) for port, proto in requests if not permitted(endpoint, port, proto)]


# what each question does not permit in the fixed universe: it never changes
UNPERMITTED = {name: [unpermitted(permitted, e, requests) for e in FIXED_UNIVERSE]
               for name, (_, _, permitted, requests) in QUESTIONS.items()}


@settings(max_examples=200, deadline=None)
@given(POLICIES, EXTRA_PODS, st.booleans())
def test_analysis_matches_brute_force(policies, extra_pods, known_namespaces):
    compiled = netpol.PolicySet(policies)
    assert compiled.problems == []
    violations = run_analysis(compiled, U_NAMESPACES if known_namespaces else None)
    reported = {(v.check, v.policy, v.rule, v.field) for v in violations}

    for name, (guarded, direction, permitted, requests) in QUESTIONS.items():
        expected_rules, rules = o_rules(policies, guarded, direction), compiled.rules(guarded, direction)
        flows = list(zip(FIXED_UNIVERSE, UNPERMITTED[name], strict=True))
        flows += [(pod, unpermitted(permitted, pod, requests)) for pod in extra_pods]
        if expected_rules is None:  # completeness: not isolated, and something leaks
            assert rules is None
            assert (name, None, None, None) in reported or not any(leaks for _, leaks in flows)
            continue
        for endpoint, leaks in flows:
            destination = endpoint if direction == EGRESS else guarded
            destination = destination if isinstance(destination, Pod) else None
            peers = {r: r.matching_peers(endpoint) for r in rules}
            for port, protocol in requests:
                expected = o_allowing(expected_rules, guarded, direction, endpoint, port, protocol)
                # netpol agrees with the oracle, peer by peer
                assert {(r.policy.key, r.field, r.peer_field(p)) for r in rules
                        if r.port_matches(port, protocol, destination) for p in peers[r]} == expected
                if expected and (port, protocol) in leaks:  # completeness
                    for leak in expected:
                        assert (name, *leak) in reported, (name, leak, endpoint, port, protocol)

    for v in violations:  # soundness
        guarded, direction, permitted, _ = QUESTIONS[v.check]
        assert not permitted(v.peer, v.port, v.protocol), v
        allowing = o_allowing(o_rules(policies, guarded, direction), guarded, direction, v.peer, v.port, v.protocol)
        assert compiled.allows(guarded, direction, v.peer, v.port, v.protocol), v
        if v.kind == R.MISSING_ISOLATION:
            assert allowing is None, v
        else:
            assert (v.policy, v.rule, v.field) in allowing, v


# -- focused cross-checks: one dimension each, searched exhaustively ---------

def dense_selectors(keys, values):
    """Few keys, many requirements, In with a choice: selectors whose matching
    pods need a search."""
    expression = st.one_of(
        st.builds(lambda k, vs: {"key": k, "operator": "In", "values": vs}, st.sampled_from(keys),
                  st.lists(st.sampled_from(values), min_size=2, max_size=3, unique=True)),
        st.builds(lambda k, vs: {"key": k, "operator": "NotIn", "values": vs}, st.sampled_from(keys),
                  st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)),
        st.builds(lambda k, op: {"key": k, "operator": op}, st.sampled_from(keys),
                  st.sampled_from(["Exists", "DoesNotExist"])))
    match_labels = st.one_of(st.just({}), st.just({}), st.dictionaries(st.sampled_from(keys), st.sampled_from(values),
                                                                     min_size=1, max_size=1))
    return st.builds(lambda ml, me: {**({"matchLabels": ml} if ml else {}), "matchExpressions": me},
                     match_labels, st.lists(expression, min_size=1, max_size=3))


NAMED_NAMESPACES = st.builds(
    lambda names, rest: {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In",
                                               "values": names}, *rest.get("matchExpressions", [])],
                         **({"matchLabels": rest["matchLabels"]} if "matchLabels" in rest else {})},
    st.lists(st.sampled_from(sorted(U_NAMESPACES)), min_size=1, max_size=3, unique=True),
    dense_selectors(["team"], ["x", "y"]))
# a free namespace escapes every permitted class, so most peers pin the namespace
SELECTOR_PEERS = st.one_of(
    st.builds(lambda p: {"podSelector": p}, dense_selectors(LABEL_KEYS, LABEL_VALUES)),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, dense_selectors(LABEL_KEYS, LABEL_VALUES),
              NAMED_NAMESPACES),
    st.builds(lambda n: {"namespaceSelector": n}, dense_selectors(NS_KEYS, NS_VALUES)),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, dense_selectors(LABEL_KEYS, LABEL_VALUES),
              dense_selectors(NS_KEYS, NS_VALUES)))


@settings(max_examples=200, deadline=None)
@given(SELECTOR_PEERS, st.booleans(), st.sampled_from([EGRESS, INGRESS]), st.data())
def test_selector_witness_matches_brute_force(peer, known_namespaces, direction, data):
    """A pod peer leaks iff some pod matches it outside every permitted class.
    The classes are those of grid pods the peer matches, so the analysis must
    search for a matching pod they do not cover."""
    matching = [pod for pod in GRID if o_peer(peer, "agents", pod)]
    drawn = data.draw(st.lists(st.sampled_from(matching), min_size=1, max_size=4)) if matching else []
    # each class covers a matching pod through some of its labels (never a whole namespace)
    classes = [(pod.namespace, dict(data.draw(st.lists(st.sampled_from(sorted(pod.labels.items())), min_size=1,
                                                       unique=True))))
               for pod in drawn if pod.labels]
    known = U_NAMESPACES if known_namespaces else None
    if direction == EGRESS:
        rule = {"to": [peer], "ports": [{"port": 5000}]}
        policies = [policy("p", {"podSelector": {"matchLabels": U_AGENT}, "policyTypes": ["Egress"], "egress": [rule]})]
        permits = [R.Permit.pods(ns, labels, [{"port": 5000}]) for ns, labels in classes]
        violations = R.agent_egress(policies, "agents", U_AGENT, U_PROXY, permits=permits, namespaces=known)
    else:  # the proxy's ingress permits one class: the agent pods, of its namespace
        classes = [("agents", next((labels for ns, labels in classes if ns == "agents"), U_AGENT))]
        rule = {"from": [peer], "ports": [{"port": 8888}]}
        policies = [policy("p", {"podSelector": {"matchLabels": U_PROXY}, "ingress": [rule]})]
        violations = R.proxy_ingress(policies, "agents", classes[0][1], U_PROXY, namespaces=known)

    def permitted(endpoint):
        return any(o_is(endpoint, ns, labels) for ns, labels in classes)

    leaks = [pod for pod in GRID if o_peer(peer, "agents", pod) and not permitted(pod)]
    # the analysis may find more: values and namespaces outside the grid
    assert violations or not leaks, leaks[:1]
    assert len(violations) <= 1
    for v in violations:
        assert o_peer(peer, "agents", v.peer) and not permitted(v.peer), v


SPACE_V4 = ipaddress.ip_network("10.0.0.0/28")
SPACE_V6 = ipaddress.ip_network("fd00::/125")
SPACE = [*SPACE_V4, *SPACE_V6]
SPACE_PORTS = range(1000, 1013)  # no preferred witness port among them


def small_networks():
    def network(space, prefix, offset):
        size = 2 ** (space.max_prefixlen - prefix)
        return ipaddress.ip_network((int(space.network_address) + (offset * size) % space.num_addresses, prefix))
    return st.one_of(
        st.builds(lambda p, o: network(SPACE_V4, p, o), st.integers(28, 32), st.integers(0, 15)),
        st.builds(lambda p, o: network(SPACE_V6, p, o), st.integers(125, 128), st.integers(0, 7)))


def small_blocks():
    def block(network, excepts):
        inside = sorted({str(e) for e in excepts if e.version == network.version and e.subnet_of(network)
                         and e != network})
        return {"cidr": str(network), **({"except": inside} if inside else {})}
    return st.builds(block, small_networks(), st.lists(small_networks(), max_size=3))


def small_port(protocol, kind, a, b):
    entry = {"protocol": protocol} if protocol else {}
    if kind == "port":
        entry["port"] = a
    elif kind == "range":
        entry.update(port=min(a, b), endPort=max(a, b))
    elif kind == "named":
        entry["port"] = "web"
    return entry  # kind "all": every port of the protocol


SMALL_PORTS = st.builds(small_port, st.sampled_from([None, "TCP", "UDP", "SCTP"]),
                        st.sampled_from(["port", "range", "named", "all"]),
                        st.integers(1001, 1011), st.integers(1001, 1011))


@settings(max_examples=200, deadline=None)
@given(st.lists(small_blocks(), min_size=1, max_size=2), maybe_list(SMALL_PORTS),
       st.lists(small_networks(), max_size=3), st.booleans(), st.data())
def test_address_and_port_witnesses_match_brute_force(blocks, ports, forbidden, proxy, data):
    """An ipBlock peer leaks iff some address (or pod with that address and a
    named port) of a tiny space, on some port, is allowed and not permitted.
    Permits cover the blocks themselves on some ports, so the leaks that are
    left sit next to a boundary."""
    own = [ipaddress.ip_network(b["cidr"]) for b in blocks]
    prefixes = [{"protocol": e.get("protocol", "TCP"), "port": e["port"], "endPort": end}
                for e in ports or () if isinstance(e.get("port"), int)
                for end in range(e["port"], e.get("endPort", e["port"]) + 1)]  # a rule range's first ports
    permit_ports = maybe_list(st.sampled_from(prefixes) | SMALL_PORTS if prefixes else SMALL_PORTS)
    permit_specs = data.draw(st.lists(st.tuples(st.lists(st.sampled_from(own) | small_networks(), min_size=1,
                                                         max_size=2), permit_ports), max_size=2))
    rule = {"to": [{"ipBlock": b} for b in blocks], **({"ports": ports} if ports is not None else {})}
    guarded = U_PROXY if proxy else U_AGENT
    policies = [policy("p", {"podSelector": {"matchLabels": guarded}, "policyTypes": ["Egress"], "egress": [rule]})]
    if proxy:
        violations = R.proxy_egress(policies, "agents", U_PROXY, forbidden=[str(f) for f in forbidden])

        def permitted(endpoint, _port, _protocol):  # any address outside the forbidden ranges
            ip = o_ip(endpoint)
            return ip is not None and not o_forbidden(ip, forbidden)
    else:
        permits = [R.Permit.cidrs([str(n) for n in nets], p) for nets, p in permit_specs]
        violations = R.agent_egress(policies, "agents", U_AGENT, U_PROXY, permits=permits)

        def permitted(endpoint, port, protocol):
            ip = o_ip(endpoint)
            return any(ip is not None and any(ip in n for n in nets)
                       and (not p or any(o_port(e, port, protocol, endpoint) for e in p)) for nets, p in permit_specs)

    reported = {v.field for v in violations}
    for ip in SPACE:
        for port in SPACE_PORTS:
            for protocol in netpol.PROTOCOLS:
                # an address, and a pod at that address whose port "web" is this one
                for endpoint in (ip, Pod("zz", {}, ip, [("web", port, protocol)])):
                    if permitted(endpoint, port, protocol):
                        continue
                    if ports and not any(o_port(e, port, protocol, endpoint) for e in ports):
                        continue
                    for j, block in enumerate(blocks):
                        if o_in_block(block, ip):
                            assert f"spec.egress[0].to[{j}]" in reported, (endpoint, port, protocol, violations)
    for v in violations:
        assert not permitted(v.peer, v.port, v.protocol), v
        assert not ports or any(o_port(e, v.port, v.protocol, v.peer) for e in ports), v
        assert o_in_block(blocks[int(v.field.split(".to[")[1].rstrip("]"))], o_ip(v.peer)), v
