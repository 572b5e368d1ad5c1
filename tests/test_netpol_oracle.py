"""The NetworkPolicy model and the leak search, cross-checked against
network-config-analyzer (nca), an independent implementation (tests/oracles/nca.py).

1. The adapter answers as nca's own command does.
2. The API server's stored form: what the normalisation is for.
3. Randomized: netpol agrees with nca on every flow of a random cluster.
4. Randomized: the leak search is sound and its witnesses are real, by nca.
5. Every disagreement found, with the side the Kubernetes documentation
   (concepts/services-networking/network-policies, the networking.k8s.io/v1
   API reference, concepts/overview/working-with-objects/labels) supports,
   or where the two model different things (an IPv4-mapped address is
   IPv4 on the wire).

tests/test_boundary_oracle.py carries the cross-check on to what the
cluster runs: pods with run-time labels, the generated policies with the
user's, and `existingPolicies: tighten`.

The random examples are fixed (derandomized) so CI sees the same ones;
PIPELOCK_ORACLE_EXAMPLES=2000 runs more of them locally.
"""

import ipaddress
import os
import re
import subprocess

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelock_companion import addresses
from pipelock_companion import conventions as C
from pipelock_companion.topology import policy_rules
from pipelock_companion.verify import reachability as R
from pipelock_companion.verify.netpol import EGRESS, INGRESS, NAME_LABEL, PROTOCOLS, Pod, PolicySet

from oracles import nca
from oracles.addresses import forbidden as forbidden_by_oracle

IP = ipaddress.ip_address
EXAMPLES = int(os.environ.get("PIPELOCK_ORACLE_EXAMPLES", "0"))


def examples(default):
    return settings(max_examples=EXAMPLES or default, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def policy(name, spec, namespace="agents"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def pod(namespace, labels, ports=(), namespaces=None):
    return Pod(namespace, labels, None, ports, (namespaces or {}).get(namespace))


# -- 1. the adapter answers as nca's command does ---------------------------

def nca_command(objects, tmp_path):
    """nca's command `--connectivity` on these objects, listing pods."""
    path = tmp_path / "resources.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    command = [nca.command(), "--connectivity", "-r", str(path),
               "--output_endpoints", "pods", "--print_ipv6", "-o", "txt_no_fw_rules"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def parse_listing(text):
    """The command's lines "source => destination : connections":
    {(source pod, destination pod): connections} and, for lines with an
    address range, [(0 when the pod is the source else 1, pod, first, last, connections)]."""
    pods, ranges = {}, []
    for line in text.splitlines():
        match = re.fullmatch(r"(\S+) => (\S+) : (.+)", line)
        if not match:
            continue
        source, destination, text = match.groups()
        connections = parse_connections(text)
        if "/" in source and "/" in destination:
            pods.setdefault((source, destination), []).extend(connections)
        else:
            inside, outside = (source, destination) if "/" in source else (destination, source)
            first, _, last = outside.partition("-")
            ranges.append(((source, destination).index(inside), inside, IP(first), IP(last or first), connections))
    return pods, ranges


def range_allows(ranges, direction, pod_name, address, port, protocol):
    return any(d == direction and inside == pod_name and first.version == address.version
               and first <= address <= last and listed(connections, port, protocol)
               for d, inside, first, last, connections in ranges)


def parse_connections(text):
    """"All connections" or "{protocols:TCP,dst_ports:53,80-90}": [(protocol or None, port ranges or None)]."""
    if text == "All connections":
        return [(None, None)]
    match = re.fullmatch(r"\{protocols:([A-Z]+(?:,[A-Z]+)*)(?:,dst_ports:([0-9,-]+))?\}", text)
    assert match, f"nca printed a connection this parser does not know: {text}"
    ports = None if match[2] is None else [tuple(int(p) for p in r.split("-")) for r in match[2].split(",")]
    return [(protocol, ports) for protocol in match[1].split(",")]


def listed(connections, port, protocol):
    return any(proto in (None, protocol) and (ports is None or any(r[0] <= port <= r[-1] for r in ports))
               for proto, ports in connections)


COMMAND_NAMESPACES = {"agents": {"team": "x"}, "kube-system": {}, "other": {"team": "y"}}
COMMAND_PODS = [pod("agents", {"app": "agent"}, (), COMMAND_NAMESPACES),
                pod("agents", {"app": "proxy"}, [("http", 8888, "TCP")], COMMAND_NAMESPACES),
                pod("kube-system", {"k8s-app": "kube-dns"}, [("dns", 53, "UDP")], COMMAND_NAMESPACES),
                pod("kube-system", {"app": "metrics"}, (), COMMAND_NAMESPACES),
                pod("other", {"app": "db", "tier": "data"}, [("pg", 5432, "TCP")], COMMAND_NAMESPACES)]
COMMAND_POLICIES = [
    policy("agent", {"podSelector": {"matchLabels": {"app": "agent"}}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"podSelector": {"matchLabels": {"app": "proxy"}}}], "ports": [{"port": "http"}]},
        {"to": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "kube-system"}}}],
         "ports": [{"port": 53, "protocol": "UDP"}, {"port": 1000, "endPort": 2000, "protocol": "SCTP"}]},
        {"to": [{"namespaceSelector": {"matchLabels": {"team": "y"}}}], "ports": [{"port": 5000, "endPort": 6000}]},
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                {"ipBlock": {"cidr": "2001:db8::/32"}}], "ports": [{"port": 443}]}]}),
    policy("dns", {"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}, "policyTypes": ["Ingress"], "ingress": [
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}],
         "ports": [{"port": "dns", "protocol": "UDP"}]}]}, namespace="kube-system"),
    policy("db", {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["data"]}]},
                  "ingress": [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]},
                              {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "agent"}}}],
                               "ports": [{"port": "pg"}]}]}, namespace="other")]
COMMAND_PORTS = [53, 443, 999, 1000, 2000, 2001, 5432, 5433, 8888]
COMMAND_IPS = [IP(a) for a in ("10.0.0.1", "10.1.0.1", "203.0.113.7", "8.8.8.8", "2001:db8::1", "fd00::1")]


def test_the_adapter_answers_as_the_nca_command(tmp_path):
    stored = [nca.stored_form(p) for p in COMMAND_POLICIES]
    proc = nca_command(nca.resources(stored, COMMAND_NAMESPACES, COMMAND_PODS), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pods_listed, ranges = parse_listing(proc.stdout)
    config = nca.Config(stored, COMMAND_NAMESPACES, COMMAND_PODS)
    checked = allowed = 0
    for port in COMMAND_PORTS:
        for protocol in PROTOCOLS:
            for source in COMMAND_PODS:
                for destination in COMMAND_PODS:
                    if source is destination:
                        continue  # the command does not list a pod's connections to itself
                    key = (config.pod_name(source), config.pod_name(destination))
                    expected = listed(pods_listed.get(key, []), port, protocol)
                    assert config.allowed(source, destination, port, protocol) == expected, (key, port, protocol)
                    checked, allowed = checked + 1, allowed + expected
                for address in COMMAND_IPS:
                    for direction, flow in enumerate([(source, address), (address, source)]):
                        expected = range_allows(ranges, direction, config.pod_name(source), address, port, protocol)
                        assert config.allowed(*flow, port, protocol) == expected, (flow, port, protocol)
                        checked, allowed = checked + 1, allowed + expected
    assert 0 < allowed < checked  # both verdicts occur


def test_the_adapter_refuses_what_nca_cannot_express():
    with pytest.raises(ValueError, match="no IP"):
        nca.Config([], {}, [Pod("agents", {"app": "x"}, ip="10.0.0.5")])
    with pytest.raises(ValueError, match="one name"):
        nca.Config([], {}, [pod("agents", {}, [("web", 80, "TCP"), ("web", 81, "TCP")])])
    config = nca.Config([], {}, [pod("agents", {})])
    with pytest.raises(ValueError, match="two addresses"):
        config.allowed(IP("10.0.0.1"), IP("10.0.0.2"), 80, "TCP")
    with pytest.raises(ValueError, match="not one of"):
        config.allowed(pod("agents", {"app": "y"}), IP("10.0.0.2"), 80, "TCP")
    nca.Config([], {}, [])
    with pytest.raises(RuntimeError, match="built since"):
        config.allowed(pod("agents", {}), IP("10.0.0.2"), 80, "TCP")


# -- 2. the stored form -----------------------------------------------------

WEB = pod("agents", {"app": "web"})
PUBLIC = IP("203.0.113.7")


def test_stored_form_writes_the_api_defaults():
    raw = {"metadata": {"name": "p"}, "spec": {
        "egress": [{"to": [], "ports": [{"port": 443}, {"port": 53, "protocol": "UDP"}]}, {"to": None}],
        "ingress": [], "policyTypes": None}}
    assert nca.stored_form(raw) == policy("p", {
        "podSelector": {}, "policyTypes": ["Ingress", "Egress"],
        "egress": [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "UDP", "port": 53}]}, {}]},
        namespace="default")
    assert nca.stored_form({"metadata": {"name": "p", "namespace": "agents"}}) == \
        policy("p", {"podSelector": {}, "policyTypes": ["Ingress"]})
    assert raw["spec"]["ingress"] == [] and "namespace" not in raw["metadata"]  # the input is not changed


def test_an_empty_egress_list_does_not_isolate(tmp_path):
    """The API server adds Egress to policyTypes only for a non-empty egress
    list; nca's command reads `egress: []` as egress isolation. With the
    stored form both agree the pod may still reach out."""
    raw = policy("p", {"podSelector": {}, "egress": []})
    assert PolicySet([raw]).egress_allowed(WEB, PUBLIC, 443, "TCP")
    assert nca.allowed([nca.stored_form(raw)], {}, [WEB], WEB, PUBLIC, 443, "TCP")
    assert command_verdict([raw], WEB, PUBLIC, 443, tmp_path) is False  # nca's own reading of the raw object


def test_rules_of_a_direction_the_policy_types_leave_out_have_no_effect(tmp_path):
    """policyTypes [Ingress] beside egress rules: the API server stores them
    and they allow nothing (only policies that isolate a pod for egress
    contribute egress rules). nca's command rejects the object; without the
    rules it agrees."""
    raw = policy("p", {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{"ports": [{"port": 443}]}]})
    deny_all = policy("q", {"podSelector": {}, "policyTypes": ["Egress"]})
    assert not PolicySet([raw, deny_all]).egress_allowed(WEB, PUBLIC, 443, "TCP")
    assert not nca.allowed([nca.stored_form(p) for p in (raw, deny_all)], {}, [WEB], WEB, PUBLIC, 443, "TCP")
    assert "NetworkPolicy with egress field but no" in command_verdict([raw, deny_all], WEB, PUBLIC, 443, tmp_path)


def test_policy_types_in_either_order(tmp_path):
    """The API server accepts policyTypes in any order (a set of two
    values); nca's command accepts only Ingress before Egress."""
    raw = policy("p", {"podSelector": {}, "policyTypes": ["Egress", "Ingress"]})
    assert not PolicySet([raw]).egress_allowed(WEB, PUBLIC, 443, "TCP")
    assert not nca.allowed([nca.stored_form(raw)], {}, [WEB], WEB, PUBLIC, 443, "TCP")
    assert "policyTypes has invalid value" in command_verdict([raw], WEB, PUBLIC, 443, tmp_path)


def command_verdict(raw_policies, source, address, port, tmp_path):
    """nca's command on raw objects (no stored form): whether `source` may
    reach `address` on TCP `port`, or nca's error message."""
    proc = nca_command(nca.resources([], {}, [source]) + raw_policies, tmp_path)
    if proc.returncode != 0:
        return proc.stderr
    _, ranges = parse_listing(proc.stdout)
    return range_allows(ranges, 0, f"{source.namespace}/pod-0", address, port, "TCP")


# -- 3. randomized: the model agrees with nca -------------------------------
#
# A small vocabulary, so selectors, pods and namespaces meet often. Pods
# have no IPs (nca cannot express them); the two nca bugs of section 5 are
# not generated: no Exists/DoesNotExist in a podSelector beside a
# namespaceSelector, no empty label value in a namespaceSelector.

NAMESPACES = ["agents", "kube-system", "other"]
POD_KEYS, POD_VALUES = ["app", "example.com/tier"], ["a", "b", "c", ""]
NS_KEYS, NS_VALUES = ["team", "env"], ["x", "y"]
PORT_NAMES, PORT_NUMBERS = ["http", "dns", "web"], [53, 80, 443, 8888]
PORT_RANGES = [(80, 443), (53, 54), (1000, 2000)]
# every port next to a boundary of the ports above, and one far from all
QUERY_PORTS = sorted({22} | {p + d for p in PORT_NUMBERS for d in (-1, 0, 1)}
                     | {p for first, last in PORT_RANGES for p in (first - 1, first, last, last + 1)})
CIDRS = {"0.0.0.0/0": ["10.0.0.0/8", "169.254.0.0/16"], "10.0.0.0/8": ["10.1.0.0/16"], "203.0.113.0/24": [],
         "169.254.169.254/32": [], "::/0": ["fd00::/8"], "2001:db8::/32": ["2001:db8:1::/48"]}
QUERY_IPS = [IP(a) for a in ("203.0.113.7", "10.0.0.1", "10.1.0.1", "169.254.169.254", "8.8.8.8",
                             "2001:db8::1", "2001:db8:1::1", "fd00::1")]
# IPv4 embedded in IPv6. An IPv4-mapped address goes out as IPv4 (the kernel
# turns a connect() to it into tcp_v4_connect): nca is asked about the IPv4
# address it is on the wire (section 5 pins what nca says of the IPv6 form).
# The translated forms (NAT64, 6to4) are IPv6 on the wire for both.
EMBEDDED_IPS = [IP(a) for a in ("::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
                                "2002:a9fe:a9fe::1")]


def selectors(keys, values, existence=True):
    operators = ["In", "NotIn"] + (["Exists", "DoesNotExist"] if existence else [])
    expression = st.builds(
        lambda key, op, vals: {"key": key, "operator": op, **({"values": vals} if op in ("In", "NotIn") else {})},
        st.sampled_from(keys), st.sampled_from(operators),
        st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
    return st.builds(lambda labels, expressions: {**({"matchLabels": labels} if labels else {}),
                                                  **({"matchExpressions": expressions} if expressions else {})},
                     st.dictionaries(st.sampled_from(keys), st.sampled_from(values), max_size=2),
                     st.lists(expression, max_size=2))


NS_SELECTORS = st.one_of(selectors(NS_KEYS, NS_VALUES),
                         selectors([NAME_LABEL], NAMESPACES),
                         selectors([NAME_LABEL, *NS_KEYS], NAMESPACES + NS_VALUES))
IP_BLOCKS = st.sampled_from(sorted(CIDRS)).flatmap(
    lambda cidr: st.lists(st.sampled_from(CIDRS[cidr] or [None]), max_size=2, unique=True)
    .map(lambda excepts: {"cidr": cidr, **({"except": excepts} if excepts and None not in excepts else {})}))
PEERS = st.one_of(
    st.builds(lambda p: {"podSelector": p}, selectors(POD_KEYS, POD_VALUES)),
    st.builds(lambda n: {"namespaceSelector": n}, NS_SELECTORS),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n}, selectors(POD_KEYS, POD_VALUES, False),
              NS_SELECTORS),
    st.builds(lambda b: {"ipBlock": b}, IP_BLOCKS))
PORT_ENTRIES = st.builds(
    lambda protocol, value: {**({"protocol": protocol} if protocol else {}), **value},
    st.sampled_from([None, "TCP", "UDP", "SCTP"]),
    st.one_of(st.just({}), st.sampled_from(PORT_NUMBERS).map(lambda p: {"port": p}),
              st.sampled_from(PORT_NAMES).map(lambda n: {"port": n}),
              st.sampled_from(PORT_RANGES).map(lambda r: {"port": r[0], "endPort": r[1]})))


def maybe_list(items, max_size=2):
    """Missing, empty, or a few: all three forms occur in manifests."""
    return st.one_of(st.none(), st.just([]), st.lists(items, min_size=1, max_size=max_size))


def rules(peers_key, peers=PEERS):
    return st.builds(lambda p, ports: {**({peers_key: p} if p is not None else {}),
                                       **({"ports": ports} if ports is not None else {})},
                     maybe_list(peers), maybe_list(PORT_ENTRIES))


POLICY_TYPES = st.sampled_from([None, [], ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"],
                                ["Egress", "Egress"]])
POLICY_SPECS = st.builds(
    lambda selector, types, ingress, egress: {"podSelector": selector,
                                              **({"policyTypes": types} if types is not None else {}),
                                              **({"ingress": ingress} if ingress is not None else {}),
                                              **({"egress": egress} if egress is not None else {})},
    selectors(POD_KEYS, POD_VALUES), POLICY_TYPES, maybe_list(rules("from")), maybe_list(rules("to")))
POLICIES = st.lists(st.tuples(st.sampled_from(NAMESPACES), POLICY_SPECS), min_size=1, max_size=4).map(
    lambda specs: [policy(f"p{i}", spec, namespace) for i, (namespace, spec) in enumerate(specs)])
NAMESPACE_LABELS = st.fixed_dictionaries(
    {name: st.dictionaries(st.sampled_from(NS_KEYS), st.sampled_from(NS_VALUES), max_size=2) for name in NAMESPACES})
POD_SHAPES = st.lists(st.tuples(
    st.sampled_from(NAMESPACES), st.dictionaries(st.sampled_from(POD_KEYS), st.sampled_from(POD_VALUES), max_size=2),
    st.lists(st.tuples(st.sampled_from(PORT_NAMES), st.sampled_from(PORT_NUMBERS), st.sampled_from(PROTOCOLS)),
             max_size=2, unique_by=lambda p: p[0])), min_size=1, max_size=5)


def on_the_wire(endpoint):
    """The endpoint as a packet carries it: an IPv4-mapped address is IPv4."""
    return endpoint if isinstance(endpoint, Pod) else addresses.wire_address(endpoint)


def disagreement(oracle, verdict, pairs, requests):
    """The first (source, destination, port, protocol, nca's verdict) on
    which the model's `verdict` is not nca's; None when there is none."""
    wire_pairs = [(on_the_wire(source), on_the_wire(destination)) for source, destination in pairs]
    for (source, destination), ports in zip(pairs, oracle.ports_of(wire_pairs), strict=True):  # one round trip
        for port, protocol in requests:
            expected = any(first <= port <= last for first, last in ports[protocol])
            if verdict(source, destination, port, protocol) != expected:
                return source, destination, port, protocol, expected
    return None


@examples(100)
@given(POLICIES, NAMESPACE_LABELS, POD_SHAPES)
def test_the_model_agrees_with_nca(raw, namespaces, shapes):
    """Every flow between the pods, and between them and addresses, on
    ports next to every boundary: the model's verdict on the raw policies
    and on their stored form is nca's. Each side alone as well, so a wrong
    egress verdict cannot hide behind a denying ingress."""
    pods = [pod(namespace, labels, ports, namespaces) for namespace, labels, ports in shapes]
    stored = [nca.stored_form(p) for p in raw]
    model, model_stored = PolicySet(raw), PolicySet(stored)
    assert model.problems == [] and model_stored.problems == []
    requests = [(port, protocol) for port in QUERY_PORTS for protocol in PROTOCOLS]
    pod_pairs = [(s, d) for s in pods for d in pods]
    addresses = QUERY_IPS + EMBEDDED_IPS
    pairs = pod_pairs + [(p, a) for p in pods for a in addresses] + [(a, p) for p in pods for a in addresses]
    oracle = nca.Config(stored, namespaces, pods)
    assert disagreement(oracle, model_stored.connection_allowed, pairs, requests) is None
    assert disagreement(oracle, model.connection_allowed, pairs, requests) is None
    egress = nca.Config(nca.one_direction(stored, EGRESS), namespaces, pods)
    assert disagreement(egress, model.egress_allowed, pod_pairs, requests) is None
    ingress = nca.Config(nca.one_direction(stored, INGRESS), namespaces, pods)
    assert disagreement(ingress, lambda s, d, port, protocol: model.ingress_allowed(d, s, port, protocol),
                        pod_pairs, requests) is None


# -- 4. randomized: the leak search against nca -----------------------------
#
# One agent and its proxy in "agents", the cluster DNS in kube-system, and
# a grid of pods (every combination of the labels below, in every
# namespace). For each of the three checks, nca judges the guarded pods'
# own side of every flow (one_direction): whenever it allows a flow the
# check does not permit, the search must report a leak (it is sound), and
# every witness the search reports must be a flow nca allows and the
# check does not permit (the witness is real).

AGENT, PROXY, DNS_LABELS = {"app": "agent"}, {"app": "proxy", "role": "pipelock"}, R.DNS[1]
REACH_KEYS, REACH_VALUES = ["app", "role", "k8s-app"], ["agent", "proxy", "db", "pipelock", "kube-dns"]
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
DNS_PEER = {"namespaceSelector": {"matchLabels": {NAME_LABEL: "kube-system"}},
            "podSelector": {"matchLabels": DNS_LABELS}}


def grid_pods(namespaces):
    label_sets = [{k: v for k, v in (("app", app), ("role", role), ("k8s-app", dns)) if v}
                  for app in (None, "agent", "proxy", "db") for role in (None, "pipelock")
                  for dns in (None, "kube-dns")]
    out = []
    for namespace in NAMESPACES:
        for labels in label_sets:
            i = len(out)
            ports = [(name, PORT_NUMBERS[(i + j) % len(PORT_NUMBERS)], PROTOCOLS[(i * 2 + j) % 3])
                     for j, name in enumerate(PORT_NAMES) if (i + j) % 3]
            out.append(pod(namespace, labels, ports, namespaces))
    return out


def agent_policy(extra_rules):
    """The shape the function generates for the agent, with extra rules."""
    return policy("agent-egress", {"podSelector": {"matchLabels": AGENT}, "policyTypes": ["Egress"], "egress": [
        {"to": [DNS_PEER], "ports": DNS_PORTS},
        {"to": [{"podSelector": {"matchLabels": PROXY}}], "ports": [{"protocol": "TCP", "port": 8888}]},
        *extra_rules]})


def proxy_policy(extra_rules):
    """What the function generates for the proxy (its internet peers, every
    address form cut out), with extra rules."""
    internet = policy_rules.internet_peers(C.EVERYWHERE_CIDRS, R.FORBIDDEN_CIDRS)
    return policy("proxy", {"podSelector": {"matchLabels": PROXY}, "policyTypes": ["Ingress", "Egress"],
                            "ingress": [{"from": [{"podSelector": {"matchLabels": AGENT}}],
                                         "ports": [{"protocol": "TCP", "port": 8888}]}],
                            "egress": [{"to": [DNS_PEER], "ports": DNS_PORTS},
                                       {"to": internet, "ports": [{"protocol": "TCP", "port": 443}]},
                                       *extra_rules]})


REACH_SELECTORS = st.one_of(st.just({}), st.sampled_from([{"matchLabels": AGENT}, {"matchLabels": PROXY},
                                                          {"matchLabels": {"app": "proxy"}}]),
                            selectors(REACH_KEYS, REACH_VALUES), selectors(["app"], ["agent", "proxy"]))
REACH_PEERS = st.one_of(
    st.builds(lambda p: {"podSelector": p}, REACH_SELECTORS),
    st.builds(lambda n: {"namespaceSelector": n}, NS_SELECTORS),
    st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n},
              st.one_of(st.just(DNS_LABELS).map(lambda d: {"matchLabels": d}),
                        selectors(REACH_KEYS, REACH_VALUES, False)), NS_SELECTORS),
    st.builds(lambda b: {"ipBlock": b}, IP_BLOCKS))
REACH_SPECS = st.builds(
    lambda selector, types, ingress, egress: {"podSelector": selector,
                                              **({"policyTypes": types} if types is not None else {}),
                                              **({"ingress": ingress} if ingress is not None else {}),
                                              **({"egress": egress} if egress is not None else {})},
    REACH_SELECTORS, POLICY_TYPES, maybe_list(rules("from", REACH_PEERS)), maybe_list(rules("to", REACH_PEERS)))
def usually(strategy):
    """The strategy's value four times out of five, else None."""
    return st.integers(0, 4).flatmap(lambda n: strategy if n else st.none())


REACH_POLICIES = st.builds(
    lambda agent, proxy, others: [p for p in (agent, proxy) if p is not None]
    + [policy(f"p{i}", spec, namespace) for i, (namespace, spec) in enumerate(others)],
    usually(st.lists(rules("to", REACH_PEERS), max_size=2).map(agent_policy)),
    usually(st.lists(rules("to", REACH_PEERS), max_size=1).map(proxy_policy)),
    st.lists(st.tuples(st.sampled_from(["agents", "agents", "kube-system", "other"]), REACH_SPECS), max_size=3))


def is_pod(endpoint, namespace, labels):
    return isinstance(endpoint, Pod) and endpoint.namespace == namespace \
        and all(endpoint.labels.get(k) == v for k, v in labels.items())


def dns(endpoint, port, _protocol):
    """Port 53 of the DNS pods, any protocol: it reaches the DNS and nothing else."""
    return port == 53 and is_pod(endpoint, "kube-system", DNS_LABELS)


class Check:
    """One check of the search, and what it means as flows nca can judge."""

    def __init__(self, name, search, guarded, direction, permitted, requests):
        self.name, self.search, self.guarded, self.direction = name, search, guarded, direction
        self.permitted, self.requests = permitted, requests

    def flow(self, guarded, endpoint):
        """(source, destination) between an instance of the guarded pod and `endpoint`."""
        return (guarded, endpoint) if self.direction == EGRESS else (endpoint, guarded)


AGENT_POD = pod("agents", AGENT)
PROXY_POD = pod("agents", PROXY, R.PROXY_CONTAINER_PORTS)
ALL_REQUESTS = [(port, protocol) for port in QUERY_PORTS for protocol in PROTOCOLS]
CHECKS = [
    Check(R.AGENT_EGRESS, lambda policies, known: R.agent_egress(policies, "agents", AGENT, PROXY, namespaces=known),
          AGENT_POD, EGRESS, lambda e, port, protocol: dns(e, port, protocol)
          or ((port, protocol) == (8888, "TCP") and is_pod(e, "agents", PROXY)), ALL_REQUESTS),
    # every port of the proxy: only the agent, only on TCP 8888
    Check(R.PROXY_INGRESS, lambda policies, known: R.proxy_ingress(policies, "agents", AGENT, PROXY, namespaces=known),
          PROXY_POD, INGRESS,
          lambda e, port, protocol: (port, protocol) == (8888, "TCP") and is_pod(e, "agents", AGENT), ALL_REQUESTS),
    # an address is forbidden when it is, or translates to, a forbidden one (test_addresses decodes them)
    Check(R.PROXY_EGRESS, lambda policies, known: R.proxy_egress(policies, "agents", PROXY, namespaces=known),
          PROXY_POD, EGRESS, lambda e, port, protocol: dns(e, port, protocol)
          or (not isinstance(e, Pod) and not forbidden_by_oracle(e, R.FORBIDDEN_CIDRS)), ALL_REQUESTS)]
# the addresses the soundness search walks: the query addresses and translated forms of them
REACH_IPS = QUERY_IPS + [IP(a) for a in ("64:ff9b::a9fe:a9fe", "64:ff9b::808:808", "::a00:1", "2002:a9fe:a9fe::1",
                                          "64:ff9b:1::808:808", "2001::1")]


def peer_of(policies, violation):
    """The stored peer a violation names ("spec.egress[1].to[0]")."""
    match = re.fullmatch(r"spec\.(\w+)\[(\d+)\]\.(?:to|from)\[(\d+)\]", violation.field or "")
    chosen = [p for p in policies if f"{p['metadata']['namespace']}/{p['metadata']['name']}" == violation.policy]
    return chosen[0]["spec"][match[1]][int(match[2])]["from" if match[1] == "ingress" else "to"][int(match[3])] \
        if match and chosen else None


@examples(50)
@given(REACH_POLICIES, NAMESPACE_LABELS, st.booleans())
def test_the_leak_search_is_sound_and_its_witnesses_are_real(raw, namespaces, known):
    stored = [nca.stored_form(p) for p in raw]
    universe = grid_pods(namespaces)
    for check in CHECKS:
        violations = check.search(raw, namespaces if known else None)
        assert {v.check for v in violations} <= {check.name}
        guarded = pod(check.guarded.namespace, check.guarded.labels, check.guarded.ports, namespaces)
        view = nca.Config(nca.one_direction(stored, check.direction), namespaces, [*universe, guarded])
        # sound: a flow nca allows and the check does not permit is a leak the search reports
        leak = next(((endpoint, port, protocol) for endpoint in universe + REACH_IPS
                     for port, protocol in check.requests if not check.permitted(endpoint, port, protocol)
                     and view.allowed(*check.flow(guarded, endpoint), port, protocol)), None)
        assert violations or leak is None, (check.name, leak)
        # real: nca allows every witness, and the check does not permit it
        for v in violations:
            assert not check.permitted(v.peer, v.port, v.protocol), v
            witness = v.peer
            if isinstance(witness, Pod) and witness.ip is not None:
                # a pod at an address, for a named port of an ipBlock peer:
                # nca cannot place a pod at an address (test_reachability's
                # brute force covers these)
                assert "ipBlock" in (peer_of(stored, v) or {}), v
                continue
            seen = dict(namespaces)
            if isinstance(witness, Pod):
                seen[witness.namespace] = {k: val for k, val in witness.namespace_labels.items() if k != NAME_LABEL}
            here = pod(check.guarded.namespace, check.guarded.labels, check.guarded.ports, seen)
            pods = [here] + ([witness] if isinstance(witness, Pod) else [])
            config = nca.Config(nca.one_direction(stored, check.direction), seen, pods)
            assert config.allowed(*check.flow(here, witness), v.port, v.protocol), v


# -- 5. the disagreements found, each with the side that is right -----------
#
# Neither is generated above; each is pinned here so that a new nca (or a
# change of the model) that moves either side is noticed.

def both_verdicts(raw, namespaces, pods, source, destination, port=80, protocol="TCP"):
    model = PolicySet(raw).connection_allowed(source, destination, port, protocol)
    oracle = nca.allowed([nca.stored_form(p) for p in raw], namespaces, pods, source, destination, port, protocol)
    return model, oracle


@pytest.mark.parametrize(("operator", "labels"), [("Exists", {"tier": "x"}), ("DoesNotExist", {})])
def test_nca_bug_existence_in_a_pod_selector_beside_a_namespace_selector(operator, labels):
    """Right: the model. A peer with both selectors "selects particular Pods
    within particular namespaces" (network-policies concepts): the pods the
    podSelector matches in the namespaces the namespaceSelector matches.
    nca 2.1.0 evaluates Exists/DoesNotExist there over the policy's own
    namespace only (PeerContainer.get_peers_with_key with the policy's
    namespace), while In/NotIn, matchLabels and a bare podSelector behave."""
    namespaces = {"agents": {}, "other": {}}
    agent, target = pod("agents", {"app": "agent"}, (), namespaces), pod("other", labels, (), namespaces)
    peer = {"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "tier", "operator": operator}]}}
    raw = [policy("p", {"podSelector": {"matchLabels": {"app": "agent"}}, "policyTypes": ["Egress"],
                        "egress": [{"to": [peer]}]})]
    assert both_verdicts(raw, namespaces, [agent, target], agent, target) == (True, False)
    same_namespace = pod("agents", labels, (), namespaces)
    assert both_verdicts(raw, namespaces, [agent, same_namespace], agent, same_namespace) == (True, True)


@pytest.mark.parametrize(("selector", "namespace_labels", "verdicts"), [
    ({"matchExpressions": [{"key": "team", "operator": "In", "values": [""]}]}, {}, (False, True)),
    ({"matchLabels": {"team": ""}}, {}, (False, True)),
    ({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": [""]}]}, {}, (True, False)),
    ({"matchExpressions": [{"key": "team", "operator": "In", "values": [""]}]}, {"team": ""}, (True, True)),
])
def test_nca_bug_a_missing_namespace_label_is_read_as_empty(selector, namespace_labels, verdicts):
    """Right: the model. `key in (v)` selects resources that have the key
    with one of the values, and `notin` also selects those without the key
    (labels concepts, set-based requirements); matchLabels is `In` with
    one value. nca 2.1.0 reads a namespace's missing label as "" in
    namespaceSelectors (PeerContainer.get_namespace_pods_with_label), so an
    empty value matches a namespace without the label. Pod selectors are
    not affected."""
    namespaces = {"agents": {}, "other": namespace_labels}
    agent, target = pod("agents", {"app": "agent"}, (), namespaces), pod("other", {}, (), namespaces)
    raw = [policy("p", {"podSelector": {"matchLabels": {"app": "agent"}}, "policyTypes": ["Egress"],
                        "egress": [{"to": [{"namespaceSelector": selector}]}]})]
    assert both_verdicts(raw, namespaces, [agent, target], agent, target) == verdicts


def test_an_ipv4_mapped_address_is_ipv4_on_the_wire_not_ipv6():
    """Where the two model different things. The model: a connect() to
    ::ffff:a.b.c.d leaves as an IPv4 packet (Linux tcp_v6_connect hands an
    IPv4-mapped destination to tcp_v4_connect; a socket with IPV6_V6ONLY
    gets ENETUNREACH), so the IPv4 rules decide. nca, asked about the IPv6
    address as such, matches it against IPv6 blocks. Asked about the
    address on the wire (as sections 3 and 4 do), it agrees."""
    v4_only = [policy("p", {"podSelector": {}, "policyTypes": ["Egress"],
                            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})]
    mapped = IP("::ffff:203.0.113.7")
    model, oracle = both_verdicts(v4_only, {}, [WEB], WEB, mapped)
    assert (model, oracle) == (True, False)
    assert both_verdicts(v4_only, {}, [WEB], WEB, mapped.ipv4_mapped) == (True, True)
