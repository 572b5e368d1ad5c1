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

Pods are modelled as the cluster will run them: labels controllers add at
run time are present with unknown values (`Pod.unknown`), and the labels of
a namespace not in the input are unknown (`Pod.namespace_open`). A policy
*may* select such a pod (its rules may apply) or *must* (it isolates it):
see `labels`. An IPv4-mapped IPv6 address is the IPv4 address (the kernel
sends IPv4).

User data never makes this module raise. What the API server would reject
(an invalid selector, port, CIDR ...) matches nothing here and is recorded
in `PolicySet.problems`; the object it is in does not isolate anything
(the API server refuses the whole object), while its valid rules are still
taken as allowing: whether our reading of validity is the server's or not,
the analysis errs on the side of a leak. Values the API server accepts but
reads in a non-standard way (leading zeros, IPv4-mapped CIDRs) are read as
it reads them and recorded as notes.

`PolicySet` also takes policies of other kinds compiled to the same
vocabulary (fn/verify/kinds.py), and finds the policies that can select a
pod through an index by namespace and by the labels their selectors
require, so the cost of a question grows with the policies that concern
the pod, not with all of them.
"""

import ipaddress
import re
from collections import defaultdict

from .. import addresses
from .. import conventions as C
from ..krm import selector
from . import labels as L

INGRESS, EGRESS = "Ingress", "Egress"
PROTOCOLS = ("TCP", "UDP", "SCTP")
NAME_LABEL = C.NAMESPACE_NAME_LABEL
_RULES_KEY = {INGRESS: "ingress", EGRESS: "egress"}
_PEERS_KEY = {INGRESS: "from", EGRESS: "to"}
# IANA service name: the form a named port must have.
_PORT_NAME = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"  # an IANA_SVC_NAME; compiled (and cached by re) when first used


class Pod:
    """A pod as policies see it: namespace, labels, IP, container ports.

    `ports` holds (name, number, protocol) for each named container port.
    `namespace_labels` are the labels of its namespace; the
    kubernetes.io/metadata.name label is always added. `unknown` are label
    keys the pod carries with values not known here (set by controllers at
    run time); with `namespace_open`, its namespace's labels are not known.
    """

    __slots__ = ("namespace", "labels", "ip", "ports", "namespace_labels", "unknown", "namespace_open")

    def __init__(self, namespace, labels=None, ip=None, ports=(), namespace_labels=None, unknown=(),
                 namespace_open=False):
        self.namespace = namespace
        self.labels = dict(labels or {})
        ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        self.ip = addresses.wire_address(ip)
        self.ports = tuple(tuple(p) for p in ports)
        self.namespace_labels = {**(namespace_labels or {}), NAME_LABEL: namespace}
        self.unknown = frozenset(unknown)
        self.namespace_open = namespace_open

    def label_view(self):
        return L.LabelView(self.labels, self.unknown)

    def namespace_view(self):
        return L.LabelView(self.namespace_labels, (), ("",) if self.namespace_open else ())

    def _key(self):
        return (self.namespace, sorted(self.labels.items()), str(self.ip), self.ports,
                sorted(self.namespace_labels.items()), sorted(self.unknown), self.namespace_open)

    def __eq__(self, other):
        return isinstance(other, Pod) and self._key() == other._key()

    def __hash__(self):
        return hash(repr(self._key()))

    def __repr__(self):
        return f"Pod({self.namespace!r}, {self.labels!r}, ip={self.ip}, ports={self.ports!r})"


def endpoint_ip(endpoint):
    """The address of an endpoint: a pod's IP (None when it has none) or the
    address itself, as the packet carries it."""
    return endpoint.ip if isinstance(endpoint, Pod) else addresses.wire_address(endpoint)


class Problem:
    """Something in a policy the API server would reject (`rejects`; it
    matches nothing here), or a value it accepts but reads in a
    non-standard way (a note)."""

    __slots__ = ("policy", "field", "reason", "kind", "position", "rejects")

    def __init__(self, policy, field, reason, kind="NetworkPolicy", position=None, rejects=True):
        self.policy = policy
        self.field = field
        self.reason = reason
        self.kind = kind
        self.position = position
        self.rejects = rejects

    def __str__(self):
        return f"{self.kind} {self.policy}: {self.field}: {self.reason}"

    __repr__ = __str__


class Where:
    """Records problems against one policy (or other named source)."""

    __slots__ = ("policy", "problems", "kind", "position")

    def __init__(self, policy, problems, kind="NetworkPolicy", position=None):
        self.policy = policy
        self.problems = problems
        self.kind = kind
        self.position = position

    def problem(self, field, reason):
        self.problems.append(Problem(self.policy, field, reason, self.kind, self.position))

    def note(self, field, reason):
        self.problems.append(Problem(self.policy, field, reason, self.kind, self.position, rejects=False))


# -- label selectors --------------------------------------------------------

def compile_selector(raw, field, where):
    """A compiled selector, or None (matches nothing) with a problem recorded."""
    compiled, reason = selector.compile_selector(raw)
    if reason:
        where.problem(field, reason)
    return compiled


# -- ipBlocks ---------------------------------------------------------------

class Block:
    """An ipBlock: a network minus its `excepts`. Immutable: one Block may
    stand for every ipBlock written the same way."""

    __slots__ = ("network", "excepts", "spans")

    def __init__(self, network, excepts=()):
        self.network = network
        self.excepts = tuple(excepts)
        self.spans = None  # its addresses as intervals, once the witness search has asked

    def contains(self, ip):
        ip = addresses.wire_address(ip)
        if ip is None or ip.version != self.network.version or ip not in self.network:
            return False
        return not any(ip in e for e in self.excepts)

    def __repr__(self):
        return f"Block({self.network} except {list(map(str, self.excepts))})"


_BLOCKS: dict = {}  # (cidr, excepts) -> Block, for the ipBlocks that compile without a word


def compile_block(raw, field, where):
    """A Block, or None (matches nothing) with a problem recorded.

    CIDRs are read as the API server reads them (leading zeros, host bits;
    a note says so). An IPv4-mapped cidr stands for its IPv4 network, as
    Go-based CNIs read it, and its excepts are not taken (a CNI may not
    apply them): the block may match more, never less."""
    if not isinstance(raw, dict):
        where.problem(field, "ipBlock must be a mapping: it matches nothing")
        return None
    excepts = raw.get("except") or []
    key = (raw.get("cidr"), tuple(excepts)) if isinstance(excepts, list) \
        and all(isinstance(t, str) for t in (raw.get("cidr"), *excepts)) else None
    if key is not None and key in _BLOCKS:
        return _BLOCKS[key]
    before = len(where.problems)
    block = _compile_block(raw, field, where)
    if key is not None and block is not None and len(where.problems) == before and len(_BLOCKS) < 10_000:
        _BLOCKS[key] = block
    return block


def _compile_block(raw, field, where):
    network = _network(raw.get("cidr"), f"{field}.cidr", where)
    if network is None:
        where.problem(f"{field}.cidr", f"{raw.get('cidr')!r} is not a CIDR: the ipBlock matches nothing")
        return None
    excepts = raw.get("except") or []
    if not isinstance(excepts, list):
        where.problem(f"{field}.except", "must be a list: the ipBlock matches nothing")
        return None
    if addresses.is_mapped(network):
        if excepts:
            where.note(f"{field}.except", "the excepts of an IPv4-mapped cidr may be read as nothing: the "
                       "analysis takes the whole block as allowed")
        return Block(addresses.mapped_to_ipv4(network))
    compiled = []
    for i, text in enumerate(excepts):
        excepted = _network(text, f"{field}.except[{i}]", where)
        if excepted is None or excepted.version != network.version or not excepted.subnet_of(network) \
                or excepted == network:
            where.problem(f"{field}.except[{i}]", f"{text!r} is not a CIDR strictly inside {network}: "
                          "the API server rejects it; the ipBlock matches nothing here")
            return None
        if not addresses.is_mapped(excepted):  # excepts nothing for sure: see the note
            compiled.append(excepted)
    return Block(network, compiled)


def _network(text, field, where):
    network, note = addresses.parse_network(text)
    if note:
        where.note(field, note)
    return network


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
    return len(name) <= 15 and "--" not in name and re.fullmatch(_PORT_NAME, name) is not None \
        and any("a" <= c <= "z" for c in name)


# -- peers, rules, policies -------------------------------------------------

class Peer:
    """One `to`/`from` entry: selectors (None = not set) or an ipBlock.
    `field` names it in the policy (given by the compilers of other kinds)."""

    __slots__ = ("index", "pods", "namespaces", "block", "field")

    def __init__(self, index, pods=None, namespaces=None, block=None, field=None):
        self.index = index
        self.pods = pods
        self.namespaces = namespaces
        self.block = block
        self.field = field

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
        return None if block is None else Peer(index, block=block, field=field)
    if not has_selector:
        where.problem(field, "a peer needs a podSelector, a namespaceSelector or an ipBlock: it matches nothing")
        return None
    selectors = []
    for key in ("podSelector", "namespaceSelector"):
        value = raw.get(key)
        selectors.append(None if value is None else compile_selector(value, f"{field}.{key}", where))
        if value is not None and selectors[-1] is None:
            return None
    return Peer(index, selectors[0], selectors[1], field=field)


class Rule:
    """One ingress or egress rule that allows. `peers` / `ports` None mean all."""

    __slots__ = ("policy", "direction", "index", "peers", "ports", "_field")

    def __init__(self, policy, direction, index, peers, ports, field=None):
        self.policy = policy
        self.direction = direction
        self.index = index
        self.peers = peers
        self.ports = ports
        self._field = field

    @property
    def field(self):
        return self._field or f"spec.{_RULES_KEY[self.direction]}[{self.index}]"

    def peer_field(self, peer):
        if peer is None:
            return self.field
        return peer.field or f"{self.field}.{_PEERS_KEY[self.direction]}[{peer.index}]"

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
    """A compiled policy: which pods it selects (`subject(pod)`: True, False
    or None for "may"), for which directions, and its allow rules.

    `namespace` None: cluster-scoped (other kinds), else it selects only
    pods of its namespace. Only Kubernetes NetworkPolicies isolate
    (`isolates`); the other kinds are taken for the paths they may open.
    `anchors`: label sets one of which a selected pod must carry (the index
    key); empty when there is none. `refusals` lists, per direction, the
    (field, reason) of what the compiler could not analyse."""

    __slots__ = ("kind", "namespace", "name", "subject", "types", "rules", "position", "isolates", "rejected",
                 "anchors", "refusals", "selector", "order")

    def __init__(self, namespace, name, selector, types, rules, position, *, kind="NetworkPolicy", subject=None,
                 isolates=True, anchors=None, refusals=None):
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.selector = selector
        self.subject = subject or (lambda pod: L.judge(selector, pod.label_view()))
        self.types = types
        self.rules = rules  # direction -> tuple of Rules
        self.position = position
        self.isolates = isolates
        self.rejected = False
        if anchors is None:
            anchors = L.anchors(selector) if selector is not None else []
        self.anchors = anchors
        self.refusals = refusals or {}
        self.order = 0

    @property
    def key(self):
        return f"{self.namespace}/{self.name}" if self.namespace is not None else self.name

    @property
    def title(self):
        return f"{self.kind} {self.key}"

    def judge(self, pod, direction):
        """True (selects the pod for `direction`), False, or None (may)."""
        if direction not in self.types or (self.namespace is not None and pod.namespace != self.namespace):
            return False
        return self.subject(pod)

    def may_select(self, pod, direction):
        return self.judge(pod, direction) is not False

    def must_isolate(self, pod, direction):
        return self.isolates and not self.rejected and self.judge(pod, direction) is True

    def selects(self, pod, direction):
        """Selects for sure (the pod's labels are all known, or it needs none of the unknown ones)."""
        return self.judge(pod, direction) is True


def compile_policy(raw, position, problems):
    """A Policy, or None when the object is not one (a problem is recorded)."""
    if not isinstance(raw, dict):
        problems.append(Problem(f"#{position}", "", "not a mapping: ignored", position=position))
        return None
    meta = raw["metadata"] if isinstance(raw.get("metadata"), dict) else {}
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) and meta.get("namespace") else "default"
    name = meta.get("name") if isinstance(meta.get("name"), str) else f"#{position}"
    mine: list = []
    where = Where(f"{namespace}/{name}", mine, position=position)
    spec = raw.get("spec")
    if spec is None:
        spec = {}  # decodes to the zero spec: every pod selected, ingress denied
    if not isinstance(spec, dict):
        where.problem("spec", "must be a mapping: the policy is ignored")
        problems += mine
        return None
    pod_selector = spec.get("podSelector")
    selector = compile_selector({} if pod_selector is None else pod_selector, "spec.podSelector", where)
    policy = Policy(namespace, name, selector, _policy_types(spec, where), {}, position)
    for direction in (INGRESS, EGRESS):
        policy.rules[direction] = _compile_rules(policy, direction, spec.get(_RULES_KEY[direction]), where)
    policy.rejected = any(p.rejects for p in mine)
    problems += mine
    return policy


def _policy_types(spec, where):
    """policyTypes, defaulted as the API server does: Ingress, plus Egress
    when there is at least one egress rule (an empty list does not count).
    An invalid entry gets the object rejected: it then isolates nothing,
    while its rules are still read (see the module's doc)."""
    types = spec.get("policyTypes")
    if types is not None and not isinstance(types, list):
        where.problem("spec.policyTypes", "must be a list: the API server rejects the policy")
        types = None
    if types:
        valid = [t for t in types if t in (INGRESS, EGRESS)]
        if len(valid) != len(types) or len(types) > 2:
            where.problem("spec.policyTypes", f"{types!r}: only Ingress and Egress are valid, each once; the API "
                          "server rejects the policy, so it isolates nothing")
        return frozenset(valid)
    egress = spec.get("egress")
    return frozenset((INGRESS, EGRESS)) if isinstance(egress, list) and egress else frozenset((INGRESS,))


def effective_types(spec):
    """The policyTypes the API server stores for a valid spec, in its order."""
    types = _policy_types(spec, Where("", []))
    return [t for t in (INGRESS, EGRESS) if t in types]


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


# -- the policy set -----------------------------------------------------------

class _Bucket:
    """The policies of one namespace (or the cluster-scoped ones), indexed
    by one label each selected pod must carry; those without such a label
    are scanned for every pod."""

    __slots__ = ("scan", "anchored", "by_key")

    def __init__(self, policies):
        counts: dict = defaultdict(int)
        for policy in policies:
            for anchor in policy.anchors:
                for pair in anchor:
                    counts[pair] += 1
        self.scan: list = []
        self.anchored: dict = defaultdict(list)
        self.by_key: dict = defaultdict(list)
        for policy in policies:
            if not policy.anchors:
                self.scan.append(policy)
                continue
            # the anchor that puts the policy among the fewest others
            anchor = min(policy.anchors, key=lambda a: (sum(counts[pair] for pair in a), sorted(a)))
            for key, value in anchor:
                self.anchored[(key, value)].append(policy)
                self.by_key[key].append(policy)

    def lookup(self, pod):
        found = list(self.scan)
        for key, value in pod.labels.items():
            if key not in pod.unknown:
                found += self.anchored.get((key, value), ())
        for key in pod.unknown:
            found += self.by_key.get(key, ())
        return found


class PolicySet:
    """Compiled NetworkPolicies (and policies of other kinds, already
    compiled), ordered by namespace/name, and the problems found."""

    __slots__ = ("policies", "problems", "_buckets")

    def __init__(self, objects=(), compiled=(), problems=()):
        self.problems: list = list(problems)
        made = (compile_policy(raw, i, self.problems) for i, raw in enumerate(objects or ()))
        self.policies = sorted([p for p in made if p is not None] + list(compiled),
                               key=lambda p: (p.namespace or "", p.name, p.position))
        groups: dict = defaultdict(list)
        for order, policy in enumerate(self.policies):
            policy.order = order
            groups[policy.namespace].append(policy)
        self._buckets = {namespace: _Bucket(group) for namespace, group in groups.items()}

    def messages(self):
        return [str(p) for p in self.problems]

    def candidates(self, pod):
        """The policies that may select `pod` (a superset), in order."""
        found: dict = {}
        for namespace in (pod.namespace, None):
            bucket = self._buckets.get(namespace)
            if bucket is not None:
                for policy in bucket.lookup(pod):
                    found[policy.order] = policy
        return [found[order] for order in sorted(found)]

    def applying(self, pod, direction):
        """(isolated, rules): whether a policy surely isolates `pod` for
        `direction`, and the rules of every policy that may select it."""
        isolated, rules = False, []
        for policy in self.candidates(pod):
            verdict = policy.judge(pod, direction)
            if verdict is False:
                continue
            isolated = isolated or policy.must_isolate(pod, direction)
            rules += policy.rules.get(direction, ())
        return isolated, rules

    def selecting(self, pod, direction):
        """The policies that may select `pod` for `direction`, in order."""
        return [p for p in self.candidates(pod) if p.may_select(pod, direction)]

    def isolating(self, pod, direction):
        """The policies that surely isolate `pod` for `direction`, in order."""
        return [p for p in self.candidates(pod) if p.must_isolate(pod, direction)]

    def rules(self, pod, direction):
        """The rules that may apply to `pod` for `direction`; None when no
        policy surely isolates it (everything may be allowed)."""
        isolated, rules = self.applying(pod, direction)
        return rules if isolated else None

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
