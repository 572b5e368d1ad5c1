"""CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2),
read for the paths they can open.

Cilium unions every allow rule that selects an endpoint with the
Kubernetes NetworkPolicies that do (its docs: "traffic matching the union
of those rules will be allowed"), so each `egress` / `ingress` rule of a
policy that may select a guarded pod opens what it matches. `egressDeny` /
`ingressDeny` only close and are skipped; `enableDefaultDeny` only decides
isolation, which our NetworkPolicies give. A policy with `nodeSelector`
(a host policy) never selects a pod on the pod network.

Selectors are Kubernetes label selectors over the pod's labels plus
`io.kubernetes.pod.namespace`, `io.cilium.k8s.namespace.labels.<key>`,
`io.cilium.k8s.policy.serviceaccount` and `io.cilium.k8s.policy.cluster`;
a key may carry a source prefix (`k8s:`, `any:`). A CiliumNetworkPolicy's
endpointSelector, and its toEndpoints/fromEndpoints without a namespace
label, stay in the policy's namespace. Cilium leaves some pod labels out
of its identities (pod-template-hash, controller-revision-hash, keys under
kubernetes.io/ and k8s.io/, ...): for those the analysis assumes either.

Analysed: toEndpoints / fromEndpoints, toCIDR / fromCIDR, toCIDRSet /
fromCIDRSet (cidr, except), toEntities / fromEntities `world`,
`world-ipv4`, `world-ipv6` (every address), `all` (everything) and
`cluster` (every pod, and, for the node addresses it also covers, every
address), no L3 field (every destination), toPorts (port, endPort,
protocol TCP/UDP/SCTP/ANY, named ports; L7 rules narrow within an opened
port and are taken as the port), icmps. Refused (error, opt-out
spec.unanalysedPolicies): toFQDNs (names resolve to addresses not known
here), toServices, toGroups, toNodes / fromNodes, cidrGroupRef /
cidrGroupSelector, the other entities, `reserved:` endpoint selectors,
selectors that do not parse.
"""

from ..krm import selector as krm_selector
from . import labels as L
from . import netpol
from .kinds_common import OTHER_PROTOCOL, Builder, cidr_peers, everywhere, is_port, port_ranges
from .netpol import EGRESS, INGRESS, NAME_LABEL, PROTOCOLS, Peer

POD_NAMESPACE = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels."
SPECIAL = ("io.cilium.k8s.policy.serviceaccount", "io.cilium.k8s.policy.cluster")
_SOURCES = ("k8s:", "any:")
# Cilium's default identity label filter (pkg/labelsfilter): these keys never
# reach a security identity.
_FILTERED = ("pod-template-hash", "controller-revision-hash", "pod-template-generation", "etcd_node")
_FILTERED_PREFIXES = ("io.kubernetes", "kubernetes.io", "k8s.io", "annotation.")
_WORLD = ("world", "world-ipv4", "world-ipv6")
_PEER_FIELDS = {
    EGRESS: ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities"),
    INGRESS: ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities"),
}
_REFUSED = {
    "toFQDNs": "the addresses a name resolves to are not known here (a name can resolve to cloud metadata)",
    "toServices": "a Service's backends are not known here",
    "toGroups": "the members of a cloud security group are not known here",
    "toNodes": "node addresses are not known here",
    "fromNodes": "node addresses are not known here",
    "fromGroups": "the members of a cloud security group are not known here",
}
_RULES_KEY = {INGRESS: "ingress", EGRESS: "egress"}


def filtered(key):
    return key in _FILTERED or key.startswith(_FILTERED_PREFIXES) or "beta.kubernetes.io" in key


def pod_view(pod):
    known = {k: v for k, v in pod.labels.items() if not filtered(k)}
    known[POD_NAMESPACE] = pod.namespace
    known.update((NAMESPACE_LABELS + k, v) for k, v in pod.namespace_labels.items())
    unknown = pod.unknown | {k for k in pod.labels if filtered(k)} | set(SPECIAL)
    return L.LabelView(known, unknown, (NAMESPACE_LABELS,) if pod.namespace_open else ())


def compile_policy(data, kind, position, problems, _context=None):
    """[Policy] for a CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy:
    one per rule (`spec`, each of `specs`)."""
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    namespace = (meta.get("namespace") or "default") if kind == "CiliumNetworkPolicy" else None
    name = meta.get("name") if isinstance(meta.get("name"), str) else f"#{position}"
    rules = []
    if isinstance(data.get("spec"), dict):
        rules.append(("spec", data["spec"]))
    specs = data.get("specs")
    rules += [(f"specs[{i}]", r) for i, r in enumerate(specs if isinstance(specs, list) else ()) if isinstance(r, dict)]
    return [p for p in (_compile_rule_set(kind, namespace, name, position, problems, f, r) for f, r in rules)
            if p is not None]


def _compile_rule_set(kind, namespace, name, position, problems, prefix, spec):
    if spec.get("nodeSelector") is not None and spec.get("endpointSelector") is None:
        return None  # a host policy: it applies to the node, not to pods
    builder = Builder(kind, namespace, name, position, problems)
    try:
        selector = _selector(spec.get("endpointSelector") or {})
    except _RefusalError as refusal:
        return builder.unreadable(f"{prefix}.endpointSelector", refusal.reason)
    anchors = [a for a in L.anchors(selector) if not any(_special(k) for k, _ in a)]
    types = [d for d in (INGRESS, EGRESS) if spec.get(_RULES_KEY[d]) is not None]
    builder.select(lambda pod: L.judge(selector, pod_view(pod)), anchors, types)
    for direction in types:
        rules = spec.get(_RULES_KEY[direction])
        for index, rule in enumerate(rules if isinstance(rules, list) else ()):
            field = f"{prefix}.{_RULES_KEY[direction]}[{index}]"
            if not isinstance(rule, dict):
                continue
            try:
                peers = _peers(rule, direction, field, namespace, builder)
            except _RefusalError as refusal:
                builder.refuse((direction,), refusal.field or field, refusal.reason)
                continue
            builder.rule(direction, index, field, peers, _ports(rule))
    return builder.policy


class _RefusalError(Exception):
    def __init__(self, reason, field=None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


def _special(key):
    return key.startswith(("io.kubernetes", "io.cilium.")) or filtered(key)


def _selector(raw, field=None):
    """A krm Selector over the view's keys (source prefixes dropped)."""
    if not isinstance(raw, dict):
        raise _RefusalError("the selector is not a mapping", field)
    mapped: dict = {}
    labels = raw.get("matchLabels")
    if isinstance(labels, dict):
        mapped["matchLabels"] = {_key(k): v for k, v in labels.items()}
    expressions = raw.get("matchExpressions")
    if isinstance(expressions, list):
        mapped["matchExpressions"] = [dict(e, key=_key(e.get("key"))) if isinstance(e, dict) else e
                                      for e in expressions]
    compiled, reason = krm_selector.compile_selector(mapped)
    if reason:
        raise _RefusalError(f"the selector is not valid ({reason})", field)
    if any(k.startswith("reserved:") for k in (*compiled.equal, *(r[0] for r in compiled.requirements))):
        raise _RefusalError("a reserved: identity (host, world, ...) stands for addresses not known here", field)
    return compiled


def _key(key):
    if isinstance(key, str):
        for source in _SOURCES:
            if key.startswith(source):
                return key[len(source):]
    return key


def _peers(rule, direction, field, namespace, builder):
    for key, reason in _REFUSED.items():
        if rule.get(key) is not None:
            raise _RefusalError(reason, f"{field}.{key}")
    endpoints_key, cidr_key, cidr_set_key, entities_key = _PEER_FIELDS[direction]
    peers: list | None = None
    if rule.get(endpoints_key) is not None:
        peers = []
        for i, raw in enumerate(rule[endpoints_key] if isinstance(rule[endpoints_key], list) else ()):
            where = f"{field}.{endpoints_key}[{i}]"
            peers.append(_endpoint_peer(_selector(raw, where), namespace, where, len(peers)))
    if rule.get(cidr_key) is not None:
        peers = (peers or []) + cidr_peers(rule[cidr_key], f"{field}.{cidr_key}", builder.where)
    if rule.get(cidr_set_key) is not None:
        peers = (peers or []) + _cidr_set_peers(rule[cidr_set_key], f"{field}.{cidr_set_key}", builder)
    if rule.get(entities_key) is not None:
        entity_peers = _entity_peers(rule[entities_key], f"{field}.{entities_key}")
        if entity_peers is None:
            return None
        peers = (peers or []) + entity_peers
    return peers


def _endpoint_peer(selector, namespace, field, index):
    """A pod peer; the namespace keys become a namespace selector, and
    without one a CiliumNetworkPolicy stays in its namespace."""
    pods_equal: dict = {}
    ns_equal: dict = {}
    for key, value in selector.equal.items():
        target = _namespace_key(key)
        (ns_equal if target else pods_equal)[target or key] = value
    pods_reqs: list = []
    ns_reqs: list = []
    for key, operator, values in selector.requirements:
        target = _namespace_key(key)
        (ns_reqs if target else pods_reqs).append((target or key, operator, values))
    if not ns_equal and not ns_reqs and namespace is not None:
        ns_equal[NAME_LABEL] = namespace
    return Peer(index, pods=krm_selector.Selector(pods_equal, tuple(pods_reqs)),
                namespaces=krm_selector.Selector(ns_equal, tuple(ns_reqs)), field=field)


def _namespace_key(key):
    if key == POD_NAMESPACE:
        return NAME_LABEL
    if key.startswith(NAMESPACE_LABELS):
        return key[len(NAMESPACE_LABELS):]
    return None


def _cidr_set_peers(raw, field, builder):
    out: list = []
    for i, entry in enumerate(raw if isinstance(raw, list) else ()):
        if not isinstance(entry, dict):
            continue
        for key in ("cidrGroupRef", "cidrGroupSelector"):
            if entry.get(key) is not None:
                raise _RefusalError("the addresses of a CiliumCIDRGroup are not known here", f"{field}[{i}].{key}")
        block = netpol.compile_block({"cidr": entry.get("cidr"), "except": entry.get("except") or []},
                                     f"{field}[{i}]", builder.where)
        if block is not None:
            out.append(Peer(len(out), block=block, field=f"{field}[{i}]"))
    return out


def _entity_peers(raw, field):
    """Peers for entities; None for `all` (everything)."""
    out: list = []
    for i, entity in enumerate(raw if isinstance(raw, list) else ()):
        where = f"{field}[{i}]"
        if entity == "all":
            return None
        if entity in _WORLD:
            family = {"world-ipv4": 4, "world-ipv6": 6}.get(entity)
            out += [p for p in everywhere(where) if family is None or p.block.network.version == family]
        elif entity == "cluster":
            out.append(Peer(len(out), pods=krm_selector.Selector({}, ()), namespaces=krm_selector.Selector({}, ()),
                            field=where))
            out += everywhere(where)  # the nodes too, whose addresses are not known here
        elif entity != "none":
            raise _RefusalError(f"entity {entity!r} stands for node or infrastructure addresses not known here", where)
    return out


def _ports(rule):
    """PortRanges of toPorts and icmps (None: every port)."""
    ranges: list = []
    to_ports = rule.get("toPorts")
    icmps = rule.get("icmps")
    if to_ports is None and icmps is None:
        return None
    for entry in to_ports if isinstance(to_ports, list) else ():
        ports = entry.get("ports") if isinstance(entry, dict) else None
        if not ports:
            return None  # a toPorts entry without ports restricts nothing at L4
        for port in ports if isinstance(ports, list) else ():
            if isinstance(port, dict):
                ranges += _port_entry(port)
    if icmps:
        ranges.append(port_ranges((OTHER_PROTOCOL,), [])[0])
    return tuple(ranges)


def _port_entry(port):
    protocol = port.get("protocol") or "ANY"
    protocols = PROTOCOLS if protocol == "ANY" else (protocol,)
    value, end = port.get("port"), port.get("endPort")
    text = str(value) if value is not None else "0"
    if text.isdigit():
        number = int(text)
        if number == 0:
            return list(port_ranges(protocols, []))
        if not is_port(number):
            return []
        last = end if is_port(end) and end >= number else number
        return list(port_ranges(protocols, [(number, last)]))
    return list(port_ranges(protocols, [], [text]))

