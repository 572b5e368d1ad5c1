"""The boundary as the cluster runs it, cross-checked against
network-config-analyzer (nca), an independent NetworkPolicy implementation
(tests/oracles/nca.py; test_netpol_oracle.py checks the adapter and the
model's core).

nca knows only concrete pods. A pod with a run-time label (its value
unknown to the function) is checked in every *world*: without the label,
and with each value the policies name, and one they do not. Then:

1. Run-time labels: whenever nca allows, in some world, a flow the check
   does not permit, the leak search reports a leak; each witness it reports
   is a flow nca allows in some world.
2. `existingPolicies: tighten`: for every pod, what nca allows after the
   rewrite it allowed before.
3. End to end, the generated policies with the user's: when the function
   exits 0, nca finds no flow out of the lockdown in any world, for the
   agent, the proxy's ingress (every port) and the proxy's egress.

Randomized with fixed examples (derandomized) so CI sees the same ones;
PIPELOCK_ORACLE_EXAMPLES=2000 runs more locally.
"""

import yaml
from hypothesis import given
from hypothesis import strategies as st
from test_netpol_oracle import (
    DNS_LABELS,
    IP_BLOCKS,
    NAMESPACE_LABELS,
    NAMESPACES,
    NS_SELECTORS,
    POLICY_TYPES,
    PORT_ENTRIES,
    QUERY_PORTS,
    REACH_IPS,
    dns,
    examples,
    is_pod,
    maybe_list,
    pod,
    policy,
    rules,
    selectors,
)

from pipelock_companion import conventions as C
from pipelock_companion import runner
from pipelock_companion.topology import names
from pipelock_companion.verify import reachability as R
from pipelock_companion.verify import tighten
from pipelock_companion.verify.netpol import EGRESS, INGRESS, PROTOCOLS, Pod

from oracles import nca
from oracles.addresses import forbidden as forbidden_by_oracle

HASH = "pod-template-hash"
HASH_VALUES = ["h1", "h2"]
AGENT = {"app": "agent"}
PROXY_SELECTOR = names.proxy_labels("agent-pipelock")
PROXY_LABELS = names.common_labels("agent-pipelock")
KEYS = ["app", HASH, "app.kubernetes.io/name"]
VALUES = ["agent", "db", "pipelock", *HASH_VALUES]
REQUESTS = [(port, protocol) for port in QUERY_PORTS for protocol in PROTOCOLS]


def worlds(labels, unknown=(HASH,)):
    """The concrete label sets a pod with run-time labels `unknown` may carry."""
    out = [dict(labels)]
    for key in unknown:
        out += [{**labels, key: value} for value in [*HASH_VALUES, "fresh"]]
    return out


def grid(namespaces):
    """Every kind of peer, in every namespace: the proxy's labels (with and
    without a hash), the agent's, the DNS pods', a database, nothing."""
    label_sets = [{}, AGENT, {**AGENT, HASH: "h1"}, PROXY_SELECTOR, {**PROXY_SELECTOR, HASH: "h2"}, DNS_LABELS,
                  {"app": "db"}, {"app.kubernetes.io/name": "pipelock"}]
    return [pod(namespace, labels, [("http", 8888, "TCP"), ("dns", 53, "UDP")][:i % 3], namespaces)
            for namespace in NAMESPACES for i, labels in enumerate(label_sets)]


def first_flow(stored, namespaces, guarded_worlds, direction, permitted, universe):
    """A (world, endpoint, port, protocol) nca allows on the guarded side
    and `permitted` does not; None when there is none."""
    for guarded in guarded_worlds:
        view = nca.Config(nca.one_direction(stored, direction), namespaces, [*universe, guarded])
        for endpoint in [*universe, *REACH_IPS]:
            flow = (guarded, endpoint) if direction == EGRESS else (endpoint, guarded)
            ports = view.ports(*flow)
            for port, protocol in REQUESTS:
                if not permitted(endpoint, port, protocol) \
                        and any(first <= port <= last for first, last in ports[protocol]):
                    return guarded, endpoint, port, protocol
    return None


def agent_permitted(endpoint, port, protocol):
    return dns(endpoint, port, protocol) or ((port, protocol) == (8888, "TCP")
                                             and is_pod(endpoint, "agents", PROXY_SELECTOR))


def proxy_in_permitted(endpoint, port, protocol):
    return (port, protocol) == (8888, "TCP") and is_pod(endpoint, "agents", AGENT)


def proxy_out_permitted(endpoint, port, protocol):
    return dns(endpoint, port, protocol) or (not isinstance(endpoint, Pod)
                                             and not forbidden_by_oracle(endpoint, R.FORBIDDEN_CIDRS))


# -- 1. run-time labels ----------------------------------------------------------

HASH_SELECTORS = st.one_of(st.just({}), selectors([HASH, "app"], [*HASH_VALUES, "agent"]),
                           st.sampled_from([{"matchLabels": {HASH: "h1"}}, {"matchLabels": AGENT},
                                            {"matchExpressions": [{"key": HASH, "operator": "Exists"}]},
                                            {"matchExpressions": [{"key": HASH, "operator": "DoesNotExist"}]}]))
PEERS = st.one_of(st.builds(lambda p: {"podSelector": p}, selectors(KEYS, VALUES)),
                  st.builds(lambda n: {"namespaceSelector": n}, NS_SELECTORS),
                  st.builds(lambda b: {"ipBlock": b}, IP_BLOCKS))
HASH_SPECS = st.builds(
    lambda selector, types, egress: {"podSelector": selector, **({"policyTypes": types} if types is not None else {}),
                                     **({"egress": egress} if egress is not None else {})},
    HASH_SELECTORS, POLICY_TYPES, maybe_list(rules("to", PEERS)))
HASH_POLICIES = st.lists(st.tuples(st.sampled_from(["agents", "agents", "other"]), HASH_SPECS), min_size=1,
                         max_size=3).map(lambda specs: [policy(f"p{i}", s, ns) for i, (ns, s) in enumerate(specs)])


@examples(40)
@given(HASH_POLICIES, NAMESPACE_LABELS)
def test_run_time_labels_in_every_world(raw, namespaces):
    stored = [nca.stored_form(p) for p in raw]
    universe = grid(namespaces)
    violations = R.agent_egress(raw, "agents", AGENT, PROXY_SELECTOR, namespaces=namespaces, unknown=(HASH,))
    agent_worlds = [pod("agents", labels, (), namespaces) for labels in worlds(AGENT)]
    leak = first_flow(stored, namespaces, agent_worlds, EGRESS, agent_permitted, universe)
    assert violations or leak is None, leak
    for v in violations:  # real in some world
        assert not agent_permitted(v.peer, v.port, v.protocol), v
        peers = [v.peer] if isinstance(v.peer, Pod) else []
        seen = dict(namespaces)
        if peers:
            seen[v.peer.namespace] = {k: x for k, x in v.peer.namespace_labels.items() if k != "kubernetes.io/"
                                      "metadata.name"}
        assert any(nca.Config(nca.one_direction(stored, EGRESS), seen,
                              [pod("agents", labels, (), seen), *peers]).allowed(
                                  pod("agents", labels, (), seen), v.peer, v.port, v.protocol)
                   for labels in worlds(AGENT)), v


# -- 2. tighten never widens, by nca ---------------------------------------------

TIGHTEN_SPECS = st.builds(
    lambda selector, types, ingress, egress: {"podSelector": selector,
                                              **({"policyTypes": types} if types is not None else {}),
                                              **({"ingress": ingress} if ingress is not None else {}),
                                              **({"egress": egress} if egress is not None else {})},
    selectors(KEYS, VALUES), POLICY_TYPES, maybe_list(rules("from", PEERS)), maybe_list(rules("to", PEERS)))


@examples(12)
@given(st.lists(TIGHTEN_SPECS, min_size=1, max_size=2), NAMESPACE_LABELS)
def test_tighten_never_widens_by_nca(specs, namespaces):
    before = [policy(f"p{i}", s) for i, s in enumerate(specs)]
    after = []
    for p in before:
        rewrite = tighten.tightened(p)
        after.append(rewrite[0] if rewrite and tighten.narrows(p, rewrite[0]) is None else p)
    pods = grid(namespaces)
    pairs = [(s, d) for s in pods for d in [*pods, *REACH_IPS] if s is not d]
    pairs += [(a, p) for p in pods for a in REACH_IPS]
    old = nca.Config([nca.stored_form(p) for p in before], namespaces, pods)
    allowed_before = {(id(s), id(d)): old.ports(s, d) for s, d in pairs}
    new = nca.Config([nca.stored_form(p) for p in after], namespaces, pods)
    for source, destination in pairs:
        was = allowed_before[(id(source), id(destination))]
        for protocol, ranges in new.ports(source, destination).items():
            for first, last in ranges:
                assert all(any(a <= port <= b for a, b in was[protocol]) for port in (first, last)), \
                    (source, destination, protocol, first, last)


# -- 3. end to end: the exit code and the cluster agree ----------------------------

USER_SELECTORS = st.one_of(st.just({}), selectors(KEYS, VALUES),
                           st.sampled_from([{"matchLabels": AGENT}, {"matchLabels": PROXY_SELECTOR},
                                            {"matchLabels": {HASH: "h1"}},
                                            {"matchLabels": {"app.kubernetes.io/managed-by": C.MANAGED_BY}}]))
USER_RULE_PEERS = st.one_of(PEERS, st.builds(lambda p, n: {"podSelector": p, "namespaceSelector": n},
                                             selectors(KEYS, VALUES, False), NS_SELECTORS))
USER_SPECS = st.builds(
    lambda selector, types, ingress, egress: {"podSelector": selector,
                                              **({"policyTypes": types} if types is not None else {}),
                                              **({"ingress": ingress} if ingress is not None else {}),
                                              **({"egress": egress} if egress is not None else {})},
    USER_SELECTORS, POLICY_TYPES, maybe_list(rules("from", USER_RULE_PEERS), 1),
    maybe_list(st.builds(lambda peers, ports: {**({"to": peers} if peers is not None else {}),
                                              **({"ports": ports} if ports is not None else {})},
                         maybe_list(USER_RULE_PEERS), maybe_list(PORT_ENTRIES)), 1))
USER_POLICIES = st.lists(st.tuples(st.sampled_from(["agents", "agents", "other"]), USER_SPECS), max_size=3).map(
    lambda specs: [policy(f"user{i}", s, ns) for i, (ns, s) in enumerate(specs)])
AGENT_DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "agent", "namespace": "agents",
                                 "annotations": {"pipelock.dev/inject": "true"}},
                    "spec": {"selector": {"matchLabels": AGENT}, "template": {
                        "metadata": {"labels": AGENT},
                        "spec": {"containers": [{"name": "agent", "image": "example.com/agent:1"}]}}}}


@examples(48)  # about a quarter of the examples (a dozen) exit 0 and reach nca's check
@given(USER_POLICIES, NAMESPACE_LABELS)
def test_exit_zero_means_no_path_out_by_nca(user, namespaces):
    namespace_objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": labels}}
                         for n, labels in namespaces.items()]
    text = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                           "items": [AGENT_DEPLOYMENT, *namespace_objects, *user]})
    out, results, _ = runner.process(text.encode())
    if any(r.severity == "error" for r in results):
        return  # the function refused: nothing to promise (its witnesses are checked in test_netpol_oracle)
    items = yaml.safe_load(out)["items"]
    stored = [nca.stored_form(i) for i in items if i["kind"] == "NetworkPolicy"]
    universe = grid(namespaces)
    agent_worlds = [pod("agents", labels, (), namespaces) for labels in worlds(AGENT)]
    proxy_worlds = [pod("agents", labels, R.PROXY_CONTAINER_PORTS, namespaces) for labels in worlds(PROXY_LABELS)]
    assert first_flow(stored, namespaces, agent_worlds, EGRESS, agent_permitted, universe) is None
    assert first_flow(stored, namespaces, proxy_worlds, INGRESS, proxy_in_permitted, universe) is None
    assert first_flow(stored, namespaces, proxy_worlds, EGRESS, proxy_out_permitted, universe) is None


def test_exit_zero_is_not_vacuous():
    """The generated topology alone exits 0, and a user policy that opens
    the agent through its run-time label exits 1: both branches of the
    end-to-end property occur."""
    text = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                           "items": [AGENT_DEPLOYMENT]})
    _, results, _ = runner.process(text.encode())
    assert not any(r.severity == "error" for r in results)
    opening = policy("hash", {"podSelector": {"matchLabels": {HASH: "h1"}}, "policyTypes": ["Egress"],
                              "egress": [{}]})
    text = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                           "items": [AGENT_DEPLOYMENT, opening]})
    _, results, _ = runner.process(text.encode())
    assert any(r.severity == "error" for r in results)
    # and nca agrees that, in the world where the hash is h1, the agent is out
    out = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                          "items": [AGENT_DEPLOYMENT]})
    items = yaml.safe_load(runner.process(out.encode())[0])["items"]
    stored = [nca.stored_form(i) for i in items if i["kind"] == "NetworkPolicy"] + [nca.stored_form(opening)]
    hashed = pod("agents", {**AGENT, HASH: "h1"})
    flow = first_flow(stored, {}, [hashed], EGRESS, agent_permitted, grid({}))
    assert flow is not None and flow[0] is hashed
