"""The sig-network admin policies (policy.networking.k8s.io):
AdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2), read
for the paths they can open.

Both are evaluated before NetworkPolicies: an AdminNetworkPolicy `Allow`,
a ClusterNetworkPolicy `Accept` in tier Admin, lets traffic through
whatever the NetworkPolicies say ("users cannot block traffic which has
been matched by an Allow rule"). Deny closes, Pass defers to the
NetworkPolicies: neither opens. A ClusterNetworkPolicy in tier Baseline,
like a BaselineAdminNetworkPolicy, is consulted only for pods no
NetworkPolicy selects, so it cannot open what ours close: skipped.

Subjects and peers: `namespaces` (every pod of the namespaces a label
selector picks), `pods` (namespaceSelector and podSelector), and for
egress `networks` (CIDRs; they match pod addresses too). Refused (error,
opt-out spec.unanalysedPolicies): `nodes` (node addresses are not known
here) and `domainNames` (nor are the addresses a name resolves to).
"""

from ..krm import selector as krm_selector
from . import labels as L
from .kinds_common import Builder, cidr_peers, is_port, port_ranges
from .netpol import EGRESS, INGRESS, PROTOCOLS, Peer

_OPENING = {"AdminNetworkPolicy": "Allow", "ClusterNetworkPolicy": "Accept"}
_ACTIONS = {"AdminNetworkPolicy": ("Allow", "Deny", "Pass"), "ClusterNetworkPolicy": ("Accept", "Deny", "Pass")}
_RULES_KEY = {INGRESS: "ingress", EGRESS: "egress"}
_PEERS_KEY = {INGRESS: "from", EGRESS: "to"}
_REFUSED = {
    "nodes": "node addresses are not known here",
    "domainNames": "the addresses a name resolves to are not known here (a name can resolve to cloud metadata)",
}


class _RefusalError(Exception):
    def __init__(self, field, reason):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def compile_policy(data, kind, position, problems, _context=None):
    """[Policy] for an AdminNetworkPolicy or a ClusterNetworkPolicy."""
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta.get("name"), str) else f"#{position}"
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    if kind == "ClusterNetworkPolicy" and spec.get("tier") == "Baseline":
        return []
    builder = Builder(kind, None, name, position, problems)
    try:
        subject, anchors = _subject(spec.get("subject"))
    except _RefusalError as refusal:
        return [builder.unreadable(refusal.field, refusal.reason)]
    types = [d for d in (INGRESS, EGRESS) if spec.get(_RULES_KEY[d])]
    builder.select(subject, anchors, types)
    for direction in types:
        rules = spec[_RULES_KEY[direction]]
        for index, rule in enumerate(rules if isinstance(rules, list) else ()):
            field = f"spec.{_RULES_KEY[direction]}[{index}]"
            if not isinstance(rule, dict):
                continue
            action = rule.get("action")
            if action not in _ACTIONS[kind]:
                builder.refuse((direction,), f"{field}.action", f"action {action!r} is not one of "
                               f"{', '.join(_ACTIONS[kind])}")
                continue
            if action != _OPENING[kind]:
                continue
            try:
                peers = _peers(rule.get(_PEERS_KEY[direction]), f"{field}.{_PEERS_KEY[direction]}", builder)
            except _RefusalError as refusal:
                builder.refuse((direction,), refusal.field, refusal.reason)
                continue
            ports = _ports(rule.get("ports")) if kind == "AdminNetworkPolicy" else _protocols(rule.get("protocols"))
            builder.rule(direction, index, field, peers, ports)
    return [builder.policy]


def _selector(raw, field):
    compiled, reason = krm_selector.compile_selector(raw if raw is not None else {})
    if reason:
        raise _RefusalError(field, f"the selector is not valid ({reason})")
    return compiled


def _subject(raw):
    """(subject(pod), anchors) of spec.subject: namespaces, or pods."""
    if not isinstance(raw, dict) or (raw.get("namespaces") is None) == (raw.get("pods") is None):
        raise _RefusalError("spec.subject", "needs exactly one of namespaces and pods")
    if raw.get("namespaces") is not None:
        namespaces = _selector(raw["namespaces"], "spec.subject.namespaces")
        return (lambda pod: L.judge(namespaces, pod.namespace_view())), []
    pods = raw["pods"] if isinstance(raw["pods"], dict) else {}
    namespaces = _selector(pods.get("namespaceSelector"), "spec.subject.pods.namespaceSelector")
    labels = _selector(pods.get("podSelector"), "spec.subject.pods.podSelector")
    return (lambda pod: L.both(L.judge(namespaces, pod.namespace_view()), L.judge(labels, pod.label_view())),
            L.anchors(labels))


def _peers(raw, field, builder):
    out: list = []
    for i, peer in enumerate(raw if isinstance(raw, list) else ()):
        where = f"{field}[{i}]"
        if not isinstance(peer, dict):
            continue
        for key, reason in _REFUSED.items():
            if peer.get(key) is not None:
                raise _RefusalError(f"{where}.{key}", reason)
        if peer.get("namespaces") is not None:
            out.append(Peer(len(out), pods=None, namespaces=_selector(peer["namespaces"], f"{where}.namespaces"),
                            field=where))
        elif isinstance(peer.get("pods"), dict):
            pods = peer["pods"]
            out.append(Peer(len(out), pods=_selector(pods.get("podSelector"), f"{where}.pods.podSelector"),
                            namespaces=_selector(pods.get("namespaceSelector"), f"{where}.pods.namespaceSelector"),
                            field=where))
        elif peer.get("networks") is not None:
            out += cidr_peers(peer["networks"], f"{where}.networks", builder.where)
    return out


def _ports(raw):
    """AdminNetworkPolicy ports: portNumber, namedPort, portRange (None: all)."""
    if raw is None:
        return None
    out: list = []
    for entry in _mappings(raw):
        number, named, span = entry.get("portNumber"), entry.get("namedPort"), entry.get("portRange")
        if isinstance(number, dict) and is_port(number.get("port")):
            out += port_ranges((number.get("protocol") or "TCP",), [(number["port"], number["port"])])
        elif isinstance(named, str) and named:
            out += port_ranges(PROTOCOLS, [], [named])
        elif isinstance(span, dict) and is_port(span.get("start")) and is_port(span.get("end")):
            out += port_ranges((span.get("protocol") or "TCP",), [(span["start"], span["end"])])
    return tuple(out)


def _protocols(raw):
    """ClusterNetworkPolicy protocols: tcp/udp/sctp destinationPort, or
    destinationNamedPort (None: every port and protocol)."""
    if raw is None:
        return None
    out: list = []
    for entry in _mappings(raw):
        if isinstance(entry.get("destinationNamedPort"), str):
            out += port_ranges(PROTOCOLS, [], [entry["destinationNamedPort"]])
        for key, protocol in (("tcp", "TCP"), ("udp", "UDP"), ("sctp", "SCTP")):
            match = entry.get(key)
            if not isinstance(match, dict):
                continue
            port = match.get("destinationPort")
            if not isinstance(port, dict):
                out += port_ranges((protocol,), [])
            elif is_port(port.get("number")):
                out += port_ranges((protocol,), [(port["number"], port["number"])])
            elif isinstance(port.get("range"), dict) and is_port(port["range"].get("start")) \
                    and is_port(port["range"].get("end")):
                out += port_ranges((protocol,), [(port["range"]["start"], port["range"]["end"])])
    return tuple(out)


def _mappings(raw):
    """The mapping entries of a list (anything else matches nothing)."""
    return [entry for entry in raw if isinstance(entry, dict)] if isinstance(raw, list) else []
