"""Calico NetworkPolicy and GlobalNetworkPolicy (projectcalico.org/v3, and
crd.projectcalico.org/v1, the store Felix reads in API-server mode), read
for the paths they can open.

Evaluation, in short (Calico's tier docs): tiers in order; in a tier,
policies by `order`; the first Allow, Deny or Pass that matches ends the
tier (Pass goes on to the next tier); a tier that applies and matches
nothing denies (tier `default`), and after the last tier the namespace
profile allows everything. Kubernetes NetworkPolicies live in tier
`default` and only allow. So, for a pod our NetworkPolicies isolate, an
`Allow` opens a path unless its tier comes after `default` (nothing
reaches it without a Pass in `default`), and a `Pass` opens every path it
matches when it sits in `default` (or a tier of unknown order): past
`default`, the profile allows. Deny and Log never open; they are skipped.

Selectors are Calico's language (calico_selector); a workload endpoint
carries the pod's labels and `projectcalico.org/namespace`,
`projectcalico.org/orchestrator`, `projectcalico.org/serviceaccount`; a
namespace carries its labels and `projectcalico.org/name`. A selector in a
rule matches pods *and NetworkSets* (which carry any addresses): the
NetworkSets of the input that it may match are added as address peers;
NetworkSets applied outside the package are not seen (docs/security.md).

Refused (error, opt-out spec.unanalysedPolicies): `services` peers (their
backends are not known here), `global()` mixed with other tests,
`contains` / `starts with` / `ends with` in a rule's selector, selectors
that do not parse, unknown actions.
"""

from ..krm import selector as krm_selector
from . import calico_selector as S
from . import labels as L
from . import netpol
from .kinds_common import ALL_PODS, OTHER_PROTOCOL, Builder, everywhere, is_port, outside_peers, port_ranges, subtract
from .netpol import EGRESS, INGRESS, NAME_LABEL, PROTOCOLS, Block, Peer

GROUPS = ("projectcalico.org", "crd.projectcalico.org")
NAMESPACE_KEY = "projectcalico.org/namespace"
NAME_KEY = "projectcalico.org/name"
ORCHESTRATOR_KEY = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_KEY = "projectcalico.org/serviceaccount"
# Built-in tiers and their order (Calico's tier.go).
DEFAULT_TIER = "default"
DEFAULT_TIER_ORDER = 1_000_000
BUILTIN_TIERS = {"kube-admin": 1_000, DEFAULT_TIER: DEFAULT_TIER_ORDER, "kube-baseline": 10_000_000}
_PROTOCOL_NUMBERS = {6: "TCP", 17: "UDP", 132: "SCTP", 1: "ICMP", 58: "ICMPv6"}
_ALL_PROTOCOLS = (*PROTOCOLS, OTHER_PROTOCOL)
_RULES_KEY = {INGRESS: "ingress", EGRESS: "egress"}


class Context:
    """What Calico policies refer to elsewhere in the input: Tier orders and
    NetworkSets (namespace or None, labels, nets)."""

    def __init__(self, items):
        self.tiers: dict = dict(BUILTIN_TIERS)
        self.network_sets: list = []
        for item in items:
            if item.group not in GROUPS or not isinstance(item.data, dict):
                continue
            spec: dict = item.data["spec"] if isinstance(item.data.get("spec"), dict) else {}
            if item.kind == "Tier" and item.name:
                order = spec.get("order")
                self.tiers[item.name] = order if isinstance(order, (int, float)) else None
            elif item.kind in ("NetworkSet", "GlobalNetworkSet"):
                nets = spec.get("nets") if isinstance(spec.get("nets"), list) else []
                namespace = (item.namespace or "default") if item.kind == "NetworkSet" else None
                self.network_sets.append((namespace, {k: str(v) for k, v in item.labels.items()}, nets,
                                          f"{item.kind} {item.name}"))

    def opens(self, action, tier):
        """Whether a rule of this action in this tier can open a path our
        NetworkPolicies (tier default) close."""
        order = self.tiers.get(tier)
        if action == "Allow":
            return order is None or order <= DEFAULT_TIER_ORDER
        if action == "Pass":
            return order is None or tier == DEFAULT_TIER
        return False


def pod_view(pod):
    known = {**pod.labels, NAMESPACE_KEY: pod.namespace, ORCHESTRATOR_KEY: "k8s"}
    return L.LabelView(known, pod.unknown | {SERVICE_ACCOUNT_KEY})


def namespace_view(pod):
    known = {**pod.namespace_labels, NAME_KEY: pod.namespace}
    return L.LabelView(known, (), ("",) if pod.namespace_open else ())


def compile_policy(data, kind, position, problems, context):
    """[Policy] for a Calico NetworkPolicy / GlobalNetworkPolicy."""
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    namespaced = kind == "NetworkPolicy"
    namespace = (meta.get("namespace") or "default") if namespaced else None
    name = meta.get("name") if isinstance(meta.get("name"), str) else f"#{position}"
    builder = Builder(kind, namespace, name, position, problems)
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    if spec.get("doNotTrack") is True or spec.get("preDNAT") is True:
        return []  # host endpoints only: these never select a pod
    tests = []
    for field, view in (("selector", pod_view), ("serviceAccountSelector", _service_account_view),
                        ("namespaceSelector", namespace_view)):
        if field == "namespaceSelector" and namespaced:
            continue
        try:
            tests.append((S.parse(spec.get(field)), view))
        except S.SelectorError as err:
            return [builder.unreadable(f"spec.{field}", f"the selector does not parse ({err})")]

    def subject(pod):
        out = True
        for tree, view in tests:
            out = L.both(out, S.judge(tree, view(pod)))
        return out

    anchors = [a for a in S.anchors(tests[0][0]) if not any(k.startswith("projectcalico.org/") for k, _ in a)]
    builder.select(subject, anchors, _types(spec))
    tier = spec.get("tier") or DEFAULT_TIER
    for direction in (INGRESS, EGRESS):
        rules = spec.get(_RULES_KEY[direction])
        for index, rule in enumerate(rules if isinstance(rules, list) else ()):
            _compile_rule(builder, direction, index, rule, tier, namespace, context)
    return [builder.policy]


def _service_account_view(_pod):
    """A ServiceAccount's labels are not in the pod: every test may hold."""
    return L.LabelView({}, (), ("",))


def _types(spec):
    """`types`, defaulted as Calico does: egress rules alone make it Egress."""
    types = spec.get("types")
    if isinstance(types, list) and types:
        return [t for t in types if t in (INGRESS, EGRESS)]
    has_ingress, has_egress = bool(spec.get("ingress")), bool(spec.get("egress"))
    if has_egress and not has_ingress:
        return [EGRESS]
    return [INGRESS, EGRESS] if has_egress else [INGRESS]


def _compile_rule(builder, direction, index, rule, tier, namespace, context):
    field = f"spec.{_RULES_KEY[direction]}[{index}]"
    if not isinstance(rule, dict):
        return
    action = rule.get("action")
    if action not in ("Allow", "Deny", "Log", "Pass"):
        builder.refuse((direction,), f"{field}.action", f"action {action!r} is not one Calico knows")
        return
    if not context.opens(action, tier):
        return
    peer_key = "destination" if direction == EGRESS else "source"
    peer_side = rule.get(peer_key) if isinstance(rule.get(peer_key), dict) else {}
    ports_side = rule.get("destination") if isinstance(rule.get("destination"), dict) else {}
    ports = _ports(rule, ports_side)
    try:
        peers = _peers(peer_side, f"{field}.{peer_key}", namespace, context, builder)
    except S.SelectorError as err:
        builder.refuse((direction,), f"{field}.{peer_key}", str(err))
        return
    except _RefusalError as refusal:
        builder.refuse((direction,), refusal.field, refusal.reason)
        return
    builder.rule(direction, index, field, peers, ports)


class _RefusalError(Exception):
    def __init__(self, field, reason):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _peers(side, field, namespace, context, builder):
    """Peers for an EntityRule; None for every endpoint and address."""
    if side.get("services") is not None:
        raise _RefusalError(f"{field}.services", "a Service's backends are not known here, so the addresses it "
                                            "allows cannot be checked")
    endpoint_fields = [k for k in ("selector", "namespaceSelector") if side.get(k) not in (None, "")]
    accounts = side.get("serviceAccounts") if isinstance(side.get("serviceAccounts"), dict) else None
    if endpoint_fields or accounts:
        return _endpoint_peers(side, field, namespace, accounts, context)
    if side.get("nets"):
        excluded = side.get("notNets") or []
        return _nets_peers(side["nets"], excluded, f"{field}.nets", builder)
    if side.get("notNets"):
        return outside_peers(side["notNets"], f"{field}.notNets", builder.where)
    return None  # notSelector alone matches everything else, outside the cluster included: taken as all


def _nets_peers(nets, excluded, field, builder):
    out = []
    for i, text in enumerate(nets if isinstance(nets, list) else ()):
        block = _block(text, f"{field}[{i}]", builder)
        if block is None:
            continue
        minus = [b.network for b in (_block(t, f"{field}[{i}]", builder) for t in excluded) if b is not None]
        if any(block.network.version == m.version and block.network.subnet_of(m) for m in minus):
            continue
        inside = [m for m in minus if m.version == block.network.version and m.subnet_of(block.network)
                  and m != block.network]
        out.append(Peer(i, block=Block(block.network, inside), field=f"{field}[{i}]"))
    return out


def _block(text, field, builder):
    return netpol.compile_block({"cidr": text}, field, builder.where)


def _endpoint_peers(side, field, namespace, accounts, context):
    """Pod peers (a disjunction of selector terms) and the NetworkSets they may match."""
    ns_text = side.get("namespaceSelector")
    if ns_text is not None and ns_text != "" and S.parse(ns_text) == ("global",):
        return everywhere(f"{field}.namespaceSelector")  # global network sets and host endpoints: any address
    pod_tree = S.parse(side.get("selector"))
    ns_tree = S.parse(ns_text) if ns_text not in (None, "") else None
    account_names = accounts.get("names") if accounts and isinstance(accounts.get("names"), list) else None
    terms = []
    for pod_term in S.to_selectors(pod_tree):
        namespace_reqs = [r for r in pod_term.requirements if r[0] == NAMESPACE_KEY]
        pod_reqs = tuple(r for r in pod_term.requirements if r[0] != NAMESPACE_KEY)
        if account_names is not None:
            pod_reqs += ((SERVICE_ACCOUNT_KEY, "In", frozenset(str(n) for n in account_names)),)
        ns_terms = S.to_selectors(ns_tree) if ns_tree is not None else [ALL_PODS]
        for ns_term in ns_terms:
            requirements = [(NAME_LABEL if k == NAME_KEY else k, op, values) for k, op, values in ns_term.requirements]
            requirements += [(NAME_LABEL, op, values) for _, op, values in namespace_reqs]
            if ns_tree is None and namespace is not None:  # a NetworkPolicy's rules stay in its namespace
                requirements.append((NAME_LABEL, "In", frozenset([namespace])))
            terms.append((pod_reqs, tuple(requirements)))
    peers: list = []
    for pod_reqs, ns_reqs in terms:
        peers.append(Peer(len(peers), pods=_selector(pod_reqs), namespaces=_selector(ns_reqs), field=field))
    for set_namespace, set_labels, nets, _ in context.network_sets:
        view = L.LabelView(set_labels)
        if S.judge(pod_tree, view) is False:
            continue
        if namespace is not None and ns_tree is None and set_namespace not in (None, namespace):
            continue
        for text in nets:
            # the NetworkSet's own problems are not the policy's
            block = netpol.compile_block({"cidr": text}, field, netpol.Where("", []))
            if block is not None:
                peers.append(Peer(len(peers), block=block, field=field))
    return peers


def _selector(requirements):
    return krm_selector.Selector({}, tuple(requirements))


def _ports(rule, destination):
    """PortRanges of a rule (None: every port and protocol)."""
    protocols = _protocols(rule)
    numbers, names = _port_list(destination.get("ports"))
    not_numbers, _ = _port_list(destination.get("notPorts"))
    if not_numbers:
        numbers = subtract(numbers or [(1, 65535)], not_numbers)
        if not numbers and not names:
            return ()
    if protocols is None:
        if not numbers and not names:
            return None
        protocols = PROTOCOLS  # ports need a protocol; read both ways
    return port_ranges(protocols, numbers, names)


def _protocols(rule):
    """The protocols a rule matches, None for all."""
    protocol = _protocol(rule.get("protocol"))
    excluded = _protocol(rule.get("notProtocol"))
    if protocol is not None:
        return () if protocol == excluded else (protocol,)
    if excluded is not None:
        return tuple(p for p in _ALL_PROTOCOLS if p != excluded)
    return None


def _protocol(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return _PROTOCOL_NUMBERS.get(value, f"protocol {value}")
    return value if isinstance(value, str) and value else None


def _port_list(raw):
    """(numeric ranges, names) of a Calico ports list: 80, "8080:8090", "http"."""
    numbers, names = [], []
    for entry in raw if isinstance(raw, list) else ():
        if is_port(entry):
            numbers.append((entry, entry))
        elif isinstance(entry, str) and ":" in entry:
            low, _, high = entry.partition(":")
            if low.isdigit() and high.isdigit() and is_port(int(low)) and is_port(int(high)):
                numbers.append((int(low), int(high)))
        elif isinstance(entry, str) and entry.isdigit() and is_port(int(entry)):
            numbers.append((int(entry), int(entry)))
        elif isinstance(entry, str) and entry:
            names.append(entry)
    return numbers, names
