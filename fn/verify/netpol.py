"""Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), as data in and
verdicts out.

`PolicySet(objects)` compiles NetworkPolicy objects once; its methods answer
whether a pod is isolated, which rules allow a flow, and whether a
connection is allowed. Endpoints are `Pod`s or `ipaddress` addresses
(outside the cluster).

The rules are the API's: a pod is isolated for a direction when a policy of
its namespace selects it and lists that direction in policyTypes; an
isolated direction allows the union of the selecting policies' rules; a
connection between pods needs the source's egress and the destination's
ingress.

User data never makes this module raise. What the API server would reject
(an invalid selector, port, CIDR ...) matches nothing here and is recorded
in `PolicySet.problems`, so the caller can tell the user.
"""

import ipaddress
import re

from .. import conventions as C
from ..krm import selector

INGRESS, EGRESS = "Ingress", "Egress"
PROTOCOLS = ("TCP", "UDP", "SCTP")
NAME_LABEL = C.NAMESPACE_NAME_LABEL
_RULES_KEY = {INGRESS: "ingress", EGRESS: "egress"}
_PEERS_KEY = {INGRESS: "from", EGRESS: "to"}
# IANA service name: the form a named port must have.
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


class Pod:
    """A pod as policies see it: namespace, labels, IP, container ports.

    `ports` holds (name, number, protocol) for each named container port.
    `namespace_labels` are the labels of its namespace; the
    kubernetes.io/metadata.name label is always added.
    """

    __slots__ = ("namespace", "labels", "ip", "ports", "namespace_labels")

    def __init__(self, namespace, labels=None, ip=None, ports=(), namespace_labels=None):
        self.namespace = namespace
        self.labels = dict(labels or {})
        self.ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        self.ports = tuple(tuple(p) for p in ports)
        self.namespace_labels = {**(namespace_labels or {}), NAME_LABEL: namespace}

    def _key(self):
        return (self.namespace, sorted(self.labels.items()), str(self.ip), self.ports,
                sorted(self.namespace_labels.items()))

    def __eq__(self, other):
        return isinstance(other, Pod) and self._key() == other._key()

    def __hash__(self):
        return hash(repr(self._key()))

    def __repr__(self):
        return f"Pod({self.namespace!r}, {self.labels!r}, ip={self.ip}, ports={self.ports!r})"


def endpoint_ip(endpoint):
    """The address of an endpoint: a pod's IP (None when it has none) or the address itself."""
    return endpoint.ip if isinstance(endpoint, Pod) else endpoint


class Problem:
    """Something the API server would reject; here it matches nothing."""

    __slots__ = ("policy", "field", "reason")

    def __init__(self, policy, field, reason):
        self.policy = policy
        self.field = field
        self.reason = reason

    def __str__(self):
        return f"NetworkPolicy {self.policy}: {self.field}: {self.reason}"

    __repr__ = __str__


class Where:
    """Records problems against one policy (or other named source)."""

    __slots__ = ("policy", "problems")

    def __init__(self, policy, problems):
        self.policy = policy
        self.problems = problems

    def problem(self, field, reason):
        self.problems.append(Problem(self.policy, field, reason))


# -- label selectors --------------------------------------------------------

def compile_selector(raw, field, where):
    """A compiled selector, or None (matches nothing) with a problem recorded."""
    compiled, reason = selector.compile_selector(raw)
    if reason:
        where.problem(field, reason)
    return compiled


# -- ipBlocks ---------------------------------------------------------------

class Block:
    """An ipBlock: a network minus its `excepts`."""

    __slots__ = ("network", "excepts")

    def __init__(self, network, excepts=()):
        self.network = network
        self.excepts = tuple(excepts)

    def contains(self, ip):
        if ip is None or ip.version != self.network.version or ip not in self.network:
            return False
        return not any(ip in e for e in self.excepts)


def compile_block(raw, field, where):
    """A Block, or None (matches nothing) with a problem recorded."""
    if not isinstance(raw, dict):
        where.problem(field, "ipBlock must be a mapping: it matches nothing")
        return None
    network = _network(raw.get("cidr"))
    if network is None:
        where.problem(f"{field}.cidr", f"{raw.get('cidr')!r} is not a CIDR: the ipBlock matches nothing")
        return None
    excepts = raw.get("except") or []
    if not isinstance(excepts, list):
        where.problem(f"{field}.except", "must be a list: the ipBlock matches nothing")
        return None
    compiled = []
    for i, text in enumerate(excepts):
        excepted = _network(text)
        if excepted is None or excepted.version != network.version or not excepted.subnet_of(network) \
                or excepted == network:
            where.problem(f"{field}.except[{i}]", f"{text!r} is not a CIDR strictly inside {network}: "
                          "the API server rejects it; the ipBlock matches nothing here")
            return None
        compiled.append(excepted)
    return Block(network, compiled)


def _network(text):
    if not isinstance(text, str) or "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


# -- ports ------------------------------------------------------------------

class PortRange:
    """One ports entry: a protocol and either all ports (start None), a
    numeric range start..end, or a named container port."""

    __slots__ = ("protocol", "start", "end", "name")

    def __init__(self, protocol, start=None, end=None, name=None):
        self.protocol = protocol
        self.start = start
        self.end = end if end is not None else start
        self.name = name

    def matches(self, port, protocol, destination_pod):
        """`destination_pod` resolves a named port; None (an IP) never matches one."""
        if protocol != self.protocol:
            return False
        if self.name is not None:
            return destination_pod is not None and (self.name, port, protocol) in destination_pod.ports
        return self.start is None or self.start <= port <= self.end

    def __repr__(self):
        what = self.name or ("all" if self.start is None else f"{self.start}-{self.end}")
        return f"PortRange({self.protocol} {what})"


def compile_ports(raw, field, where):
    """A tuple of PortRanges, or None for all ports (missing or empty list).
    Invalid entries are dropped with a problem: they match nothing."""
    if raw is None or raw == []:
        return None
    if not isinstance(raw, list):
        where.problem(field, "ports must be a list: the rule matches no port")
        return ()
    out = []
    for i, entry in enumerate(raw):
        compiled = _compile_port(entry, f"{field}[{i}]", where)
        if compiled is not None:
            out.append(compiled)
    return tuple(out)


def _compile_port(entry, field, where):
    if not isinstance(entry, dict):
        where.problem(field, "a ports entry must be a mapping: it matches nothing")
        return None
    protocol = entry.get("protocol")
    protocol = "TCP" if protocol is None else protocol
    if protocol not in PROTOCOLS:
        where.problem(f"{field}.protocol", f"{protocol!r} is not one of {', '.join(PROTOCOLS)}: it matches nothing")
        return None
    port, end = entry.get("port"), entry.get("endPort")
    if end is not None and not (_is_port_number(port) and _is_port_number(end) and end >= port):
        where.problem(f"{field}.endPort", "endPort needs a numeric port and must be at least that port (1-65535): "
                      "the entry matches nothing")
        return None
    if port is None:
        return PortRange(protocol)
    if _is_port_number(port):
        return PortRange(protocol, port, end)
    if isinstance(port, str) and _is_port_name(port):
        return PortRange(protocol, name=port)
    where.problem(f"{field}.port", f"{port!r} is neither a port number (1-65535) nor a port name: it matches nothing")
    return None


def _is_port_number(value):
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _is_port_name(name):
    return len(name) <= 15 and "--" not in name and bool(_PORT_NAME.match(name)) \
        and any("a" <= c <= "z" for c in name)


# -- peers, rules, policies -------------------------------------------------

class Peer:
    """One `to`/`from` entry: selectors (None = not set) or an ipBlock."""

    __slots__ = ("index", "pods", "namespaces", "block")

    def __init__(self, index, pods=None, namespaces=None, block=None):
        self.index = index
        self.pods = pods
        self.namespaces = namespaces
        self.block = block

    def matches(self, endpoint, policy_namespace):
        if self.block is not None:
            return self.block.contains(endpoint_ip(endpoint))
        if not isinstance(endpoint, Pod):
            return False
        if self.namespaces is None:  # podSelector alone: the policy's own namespace
            in_namespace = endpoint.namespace == policy_namespace
        else:
            in_namespace = self.namespaces.matches(endpoint.namespace_labels)
        return in_namespace and (self.pods is None or self.pods.matches(endpoint.labels))


def _compile_peer(raw, index, field, where):
    """A Peer, or None (matches nothing) with a problem recorded."""
    if not isinstance(raw, dict):
        where.problem(field, "a peer must be a mapping: it matches nothing")
        return None
    has_selector = raw.get("podSelector") is not None or raw.get("namespaceSelector") is not None
    if raw.get("ipBlock") is not None:
        if has_selector:
            where.problem(field, "ipBlock cannot be combined with a selector in one peer: "
                          "the API server rejects it; it matches nothing here")
            return None
        block = compile_block(raw["ipBlock"], f"{field}.ipBlock", where)
        return None if block is None else Peer(index, block=block)
    if not has_selector:
        where.problem(field, "a peer needs a podSelector, a namespaceSelector or an ipBlock: it matches nothing")
        return None
    selectors = []
    for key in ("podSelector", "namespaceSelector"):
        value = raw.get(key)
        selectors.append(None if value is None else compile_selector(value, f"{field}.{key}", where))
        if value is not None and selectors[-1] is None:
            return None
    return Peer(index, *selectors)


class Rule:
    """One ingress or egress rule. `peers` / `ports` None mean all."""

    __slots__ = ("policy", "direction", "index", "peers", "ports")

    def __init__(self, policy, direction, index, peers, ports):
        self.policy = policy
        self.direction = direction
        self.index = index
        self.peers = peers
        self.ports = ports

    @property
    def field(self):
        return f"spec.{_RULES_KEY[self.direction]}[{self.index}]"

    def peer_field(self, peer):
        return self.field if peer is None else f"{self.field}.{_PEERS_KEY[self.direction]}[{peer.index}]"

    def matching_peers(self, endpoint):
        namespace = self.policy.namespace if self.policy else None
        return [p for p in self.peers if p.matches(endpoint, namespace)] if self.peers is not None else [None]

    def port_matches(self, port, protocol, destination_pod):
        return self.ports is None or any(r.matches(port, protocol, destination_pod) for r in self.ports)

    def allows(self, endpoint, port, protocol, destination_pod):
        return self.port_matches(port, protocol, destination_pod) and bool(self.matching_peers(endpoint))

    def __repr__(self):
        return f"Rule({self.policy.key if self.policy else None} {self.field})"


class Policy:
    __slots__ = ("namespace", "name", "selector", "types", "rules", "position")

    def __init__(self, namespace, name, selector, types, rules, position):
        self.namespace = namespace
        self.name = name
        self.selector = selector
        self.types = types
        self.rules = rules  # direction -> tuple of Rules
        self.position = position

    @property
    def key(self):
        return f"{self.namespace}/{self.name}"

    def selects(self, pod, direction):
        return direction in self.types and self.selector is not None and pod.namespace == self.namespace \
            and self.selector.matches(pod.labels)


def compile_policy(raw, position, problems):
    """A Policy, or None when the object is not one (a problem is recorded)."""
    if not isinstance(raw, dict):
        problems.append(Problem(f"#{position}", "", "not a mapping: ignored"))
        return None
    meta = raw["metadata"] if isinstance(raw.get("metadata"), dict) else {}
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) and meta.get("namespace") else "default"
    name = meta.get("name") if isinstance(meta.get("name"), str) else f"#{position}"
    where = Where(f"{namespace}/{name}", problems)
    spec = raw.get("spec")
    if spec is None:
        spec = {}  # decodes to the zero spec: every pod selected, ingress denied
    if not isinstance(spec, dict):
        where.problem("spec", "must be a mapping: the policy is ignored")
        return None
    pod_selector = spec.get("podSelector")
    selector = compile_selector({} if pod_selector is None else pod_selector, "spec.podSelector", where)
    policy = Policy(namespace, name, selector, _policy_types(spec, where), {}, position)
    for direction in (INGRESS, EGRESS):
        policy.rules[direction] = _compile_rules(policy, direction, spec.get(_RULES_KEY[direction]), where)
    return policy


def _policy_types(spec, where):
    """policyTypes, defaulted as the API server does: Ingress, plus Egress
    when there is at least one egress rule (an empty list does not count)."""
    types = spec.get("policyTypes")
    if types is not None and not isinstance(types, list):
        where.problem("spec.policyTypes", "must be a list: defaulted")
        types = None
    if types:
        valid = [t for t in types if t in (INGRESS, EGRESS)]
        if len(valid) != len(types):
            where.problem("spec.policyTypes", f"{types!r}: only Ingress and Egress are valid; the others are ignored")
        return frozenset(valid)
    egress = spec.get("egress")
    return frozenset((INGRESS, EGRESS)) if isinstance(egress, list) and egress else frozenset((INGRESS,))


def _compile_rules(policy, direction, raw, where):
    key = _RULES_KEY[direction]
    if raw is None:
        return ()
    if not isinstance(raw, list):
        where.problem(f"spec.{key}", "must be a list: no rule is taken from it")
        return ()
    return tuple(_compile_rule(policy, direction, i, rule, where) for i, rule in enumerate(raw))


def _compile_rule(policy, direction, index, raw, where):
    field = f"spec.{_RULES_KEY[direction]}[{index}]"
    if not isinstance(raw, dict):
        where.problem(field, "a rule must be a mapping: it allows nothing")
        return Rule(policy, direction, index, (), ())
    peers_key = _PEERS_KEY[direction]
    return Rule(policy, direction, index,
                _compile_peers(raw.get(peers_key), f"{field}.{peers_key}", where),
                compile_ports(raw.get("ports"), f"{field}.ports", where))


def _compile_peers(raw, field, where):
    """Valid peers, or None for all peers (missing or empty list)."""
    if raw is None or raw == []:
        return None
    if not isinstance(raw, list):
        where.problem(field, "must be a list: the rule matches no peer")
        return ()
    peers = (_compile_peer(p, i, f"{field}[{i}]", where) for i, p in enumerate(raw))
    return tuple(p for p in peers if p is not None)


class PolicySet:
    """Compiled NetworkPolicies, ordered by namespace/name, and the problems found."""

    __slots__ = ("policies", "problems")

    def __init__(self, objects):
        self.problems: list = []
        compiled = (compile_policy(raw, i, self.problems) for i, raw in enumerate(objects or ()))
        self.policies = sorted((p for p in compiled if p is not None),
                               key=lambda p: (p.namespace, p.name, p.position))

    def messages(self):
        return [str(p) for p in self.problems]

    def isolating(self, pod, direction):
        """The policies that select `pod` for `direction`, in order."""
        return [p for p in self.policies if p.selects(pod, direction)]

    def rules(self, pod, direction):
        """The rules that apply to `pod` for `direction`; None when it is not isolated (all allowed)."""
        policies = self.isolating(pod, direction)
        if not policies:
            return None
        return [rule for policy in policies for rule in policy.rules[direction]]

    def allowing(self, pod, direction, peer, port, protocol):
        """The rules that allow this flow at `pod`; None when `pod` is not isolated."""
        rules = self.rules(pod, direction)
        if rules is None:
            return None
        destination = peer if direction == EGRESS else pod
        destination = destination if isinstance(destination, Pod) else None
        return [r for r in rules if r.allows(peer, port, protocol, destination)]

    def allows(self, pod, direction, peer, port, protocol):
        rules = self.allowing(pod, direction, peer, port, protocol)
        return rules is None or bool(rules)

    def egress_allowed(self, source, destination, port, protocol):
        return self.allows(source, EGRESS, destination, port, protocol)

    def ingress_allowed(self, destination, source, port, protocol):
        return self.allows(destination, INGRESS, source, port, protocol)

    def connection_allowed(self, source, destination, port, protocol):
        """Egress at a source pod and ingress at a destination pod; an
        address outside the cluster has no side of its own."""
        if isinstance(source, Pod) and not self.egress_allowed(source, destination, port, protocol):
            return False
        return not isinstance(destination, Pod) or self.ingress_allowed(destination, source, port, protocol)
