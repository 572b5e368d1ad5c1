"""Static leak analysis of the companion-proxy boundary over NetworkPolicies.

Three questions per managed agent, each judged on the guarded pods' own
side of the connection (the peers' policies live outside the package and
can change at any time):

- agent egress: can the agent pods reach anything but the cluster DNS on 53,
  their proxy pods (in the proxy's namespace) on TCP 8888 and the
  destinations the caller permits?
- proxy ingress: can anything but the agent pods reach the proxy, on any
  port (only TCP 8888; and the metrics port from a declared scraper)?
- proxy egress: can the proxy reach cloud metadata, private ranges or
  cluster pods other than the DNS on 53? An IPv6 address that translates
  to a forbidden IPv4 address (NAT64, 6to4, ...) is forbidden too.

Each rule of each policy that may select the guarded pods is searched for a
concrete leak, peer by peer, over finite witness sets that cover every case:
addresses at every CIDR boundary, ports at every range boundary, and for
selectors the pod (and, where needed, a hypothetical namespace) that
matches the peer while avoiding every permitted class of pods. The
boundaries are those of the rule itself and of the permits, so the cost
of a question grows with the rules that concern the guarded pods. A pod
that no policy surely isolates is reported as "missing isolation".
"""

import functools
import ipaddress

from .. import addresses
from .. import conventions as C
from . import intervals, netpol
from .netpol import EGRESS, INGRESS, NAME_LABEL, PROTOCOLS, Pod, endpoint_ip

AGENT_EGRESS, PROXY_INGRESS, PROXY_EGRESS = "agent-egress", "proxy-ingress", "proxy-egress"
LEAK, MISSING_ISOLATION = "leak", "missing isolation"

DNS = (C.DEFAULT_DNS_NAMESPACE, C.DEFAULT_DNS_POD_LABELS)
DNS_PORT = C.DNS_PORT
PROXY_PORT = C.PROXY_PORT
PROXY_CONTAINER_PORTS = (("http", C.PROXY_PORT, "TCP"), ("metrics", C.METRICS_PORT, "TCP"))
FORBIDDEN_CIDRS = C.DEFAULT_DENY_CIDRS

# Witnesses a reader recognises come first; the boundaries make the sets complete.
_PREFERRED_PORTS = (443, 80, 53, 22, C.PROXY_PORT, C.METRICS_PORT)
_PROXY_PORTS_FIRST = (C.PROXY_PORT, C.METRICS_PORT, 443, 80, 53, 22)
_PREFERRED_IPS = tuple(ipaddress.ip_address(a) for a in ("203.0.113.7", "2001:db8::7", "169.254.169.254",
                                                          "fd00:ec2::254"))
_NAMESPACE = ("namespace",)  # the search variable for the namespace; label keys are strings


class Violation:
    """One leak: which check, which policy rule allows it (None for missing
    isolation), and the concrete peer, port and protocol."""

    __slots__ = ("check", "kind", "policy", "rule", "field", "peer", "port", "protocol", "message", "position",
                 "guarded")

    def __init__(self, check, kind, policy, rule, field, peer, port, protocol, message, position=None, guarded=None):
        self.position = position  # the policy's position in the objects the PolicySet was made of
        self.guarded = guarded  # the guarded pod
        self.check = check
        self.kind = kind
        self.policy = policy  # "namespace/name" or None
        self.rule = rule  # "spec.egress[1]" or None
        self.field = field  # the rule, or its peer: "spec.egress[1].to[0]"
        self.peer = peer  # netpol.Pod or an ipaddress address
        self.port = port
        self.protocol = protocol
        self.message = message

    def __repr__(self):
        return f"Violation({self.check}, {self.kind}, {self.policy} {self.field}: {self.message})"


class Permit:
    """Traffic the caller allows: pods of `namespace` that carry `labels`,
    or any endpoint whose address is in `blocks`; on `ports` (None = all).
    Invalid entries permit nothing and are listed in `problems`."""

    __slots__ = ("namespace", "labels", "blocks", "ports", "problems", "_spans")

    def __init__(self, namespace=None, labels=None, blocks=None, ports=None, problems=()):
        self.namespace = namespace
        self.labels = labels
        self.blocks = blocks
        self.ports = ports
        self.problems = list(problems)
        self._spans = None

    def spans(self):
        """The permitted addresses as intervals (computed once: the forbidden
        ranges' permit is shared by every agent)."""
        if self._spans is None:
            self._spans = intervals.of_blocks(self.blocks)
        return self._spans

    @classmethod
    def pods(cls, namespace, labels, ports=None):
        """`ports` as NetworkPolicy ports entries: [{"protocol": "TCP", "port": 5432}]."""
        problems: list = []
        compiled = netpol.compile_ports(ports, "ports", netpol.Where(f"permit {namespace}", problems))
        return cls(namespace, dict(labels or {}), None, compiled, problems)

    @classmethod
    def cidrs(cls, cidrs, ports=None):
        problems: list = []
        where = netpol.Where("permit", problems)
        blocks = [netpol.compile_block({"cidr": c}, f"cidrs[{i}]", where) for i, c in enumerate(cidrs)]
        compiled = netpol.compile_ports(ports, "ports", where)
        return cls(None, None, [b for b in blocks if b is not None], compiled, problems)

    def covers(self, endpoint, port, protocol, destination_pod):
        return self.covers_port(port, protocol, destination_pod) and self.covers_endpoint(endpoint)

    def covers_port(self, port, protocol, destination_pod):
        return self.ports is None or any(r.matches(port, protocol, destination_pod) for r in self.ports)

    def covers_endpoint(self, endpoint):
        if self.blocks is not None:
            return any(b.contains(endpoint_ip(endpoint)) for b in self.blocks)
        return isinstance(endpoint, Pod) and endpoint.namespace == self.namespace \
            and all(endpoint.labels.get(k) == v for k, v in self.labels.items())


@functools.lru_cache(maxsize=64)
def _outside_cached(forbidden):
    return _outside(forbidden)


def _outside(forbidden):
    """A Permit for every address outside the forbidden ranges and the IPv6
    forms that translate into them, on any port. A malformed range is
    listed in the Permit's problems and forbids nothing."""
    problems: list = []
    where = netpol.Where("forbidden ranges", problems)
    blocks = [netpol.compile_block({"cidr": c}, f"forbidden[{i}]", where) for i, c in enumerate(forbidden)]
    ranges = addresses.forbidden_networks([b.network for b in blocks if b is not None])
    blocks = []
    for everything in (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")):
        same = [r for r in ranges if r.version == everything.version]
        if any(r.prefixlen == 0 for r in same):
            continue
        blocks.append(netpol.Block(everything, same))
    return Permit(blocks=blocks, problems=problems)


def _dns_permits(dns, dns_cidrs, dns_ports=(DNS_PORT,)):
    """The DNS pods' ports (53; 5353 behind OpenShift's Service), whatever
    the protocol (Cilium's ANY includes SCTP): they reach the DNS and
    nothing else."""
    ports = [{"protocol": protocol, "port": port} for port in dns_ports for protocol in PROTOCOLS]
    permits = [Permit.pods(dns[0], dns[1], ports)]
    if dns_cidrs:
        permits.append(Permit.cidrs(dns_cidrs, ports))
    return permits


# -- the three checks -------------------------------------------------------

def agent_egress(policies, namespace, agent_labels, proxy_labels, *, dns=DNS, dns_cidrs=(), permits=(),
                 namespaces=None, proxy_namespace=None, unknown=(), role="the agent pods", check=AGENT_EGRESS,
                 dns_ports=(DNS_PORT,)):
    """Leaks out of the agent pods: anything but DNS on `dns_ports`, the proxy pods
    (of `proxy_namespace`, by default the agent's) on TCP 8888 and
    `permits` (a list of Permit). `unknown`: label keys the pods carry
    with values not known here."""
    known = known_namespaces(namespaces)
    allowed = _dns_permits(dns, dns_cidrs, dns_ports)
    allowed.append(Permit.pods(proxy_namespace or namespace, proxy_labels, [{"protocol": "TCP", "port": PROXY_PORT}]))
    question = _Question(check, EGRESS, guarded_pod(namespace, agent_labels, (), known, unknown),
                         _role(role, namespace, agent_labels), allowed + list(permits), known,
                         "the agent may reach only the cluster DNS, its proxy and its permitted destinations")
    return _leaks(_policy_set(policies), question)


def proxy_ingress(policies, namespace, agent_labels, proxy_labels, *, proxy_ports=PROXY_CONTAINER_PORTS,
                  namespaces=None, agent_namespace=None, unknown=(), scraper=None, shown_labels=None):
    """Leaks into the proxy pods (of `namespace`), on any port: only the
    agent pods (of `agent_namespace`, by default the same) may connect, on
    TCP 8888; and `scraper` (a Permit, for the metrics port), if given."""
    known = known_namespaces(namespaces)
    allowed = [Permit.pods(agent_namespace or namespace, agent_labels, [{"protocol": "TCP", "port": PROXY_PORT}])]
    if scraper is not None:
        allowed.append(scraper)
    bound = "only the agent pods may, on TCP 8888" + (
        f", and the metrics scraper on TCP {C.METRICS_PORT}" if scraper is not None else "")
    question = _Question(PROXY_INGRESS, INGRESS, guarded_pod(namespace, proxy_labels, proxy_ports, known, unknown),
                         _role("the proxy pods", namespace, shown_labels or proxy_labels), allowed, known, bound,
                         preferred_ports=_PROXY_PORTS_FIRST)
    return _leaks(_policy_set(policies), question)


def proxy_egress(policies, namespace, proxy_labels, *, proxy_ports=PROXY_CONTAINER_PORTS, dns=DNS, dns_cidrs=(),
                 forbidden=FORBIDDEN_CIDRS, namespaces=None, unknown=(), shown_labels=None, dns_ports=(DNS_PORT,)):
    """Leaks out of the proxy pods: the `forbidden` ranges (and the IPv6
    forms that translate into them) on any port, and cluster pods other
    than DNS on `dns_ports`."""
    known = known_namespaces(namespaces)
    allowed = [*_dns_permits(dns, dns_cidrs, dns_ports), _outside_cached(tuple(forbidden))]
    question = _Question(PROXY_EGRESS, EGRESS, guarded_pod(namespace, proxy_labels, proxy_ports, known, unknown),
                         _role("the proxy pods", namespace, shown_labels or proxy_labels), allowed, known,
                         "the proxy may reach neither cloud metadata, private ranges nor cluster pods "
                         "(other than the DNS on 53)")
    return _leaks(_policy_set(policies), question)


def check_agent(policies, namespace, agent_labels, proxy_labels, *, proxy_ports=PROXY_CONTAINER_PORTS, dns=DNS,
                dns_cidrs=(), permits=(), forbidden=FORBIDDEN_CIDRS, namespaces=None, dns_ports=(DNS_PORT,)):
    """All three checks for one agent, in that order."""
    policies = _policy_set(policies)
    known = known_namespaces(namespaces)
    return (agent_egress(policies, namespace, agent_labels, proxy_labels, dns=dns, dns_cidrs=dns_cidrs,
                         permits=permits, namespaces=known, dns_ports=dns_ports)
            + proxy_ingress(policies, namespace, agent_labels, proxy_labels, proxy_ports=proxy_ports,
                            namespaces=known)
            + proxy_egress(policies, namespace, proxy_labels, proxy_ports=proxy_ports, dns=dns,
                           dns_cidrs=dns_cidrs, forbidden=forbidden, namespaces=known, dns_ports=dns_ports))


def _policy_set(policies):
    return policies if isinstance(policies, netpol.PolicySet) else netpol.PolicySet(policies)


class KnownNamespaces:
    """The namespaces in the input, name -> labels, and every name and
    label value among them (witness names must avoid them). Built once."""

    __slots__ = ("labels", "taken")

    def __init__(self, namespaces):
        self.labels = dict(namespaces or {})
        self.taken = set(self.labels)
        for labels in self.labels.values():
            self.taken.update((labels or {}).values())

    def get(self, name, default=None):
        return self.labels.get(name, default)

    def __contains__(self, name):
        return name in self.labels

    def __getitem__(self, name):
        return self.labels[name]


def known_namespaces(namespaces):
    return namespaces if isinstance(namespaces, KnownNamespaces) else KnownNamespaces(namespaces)


def guarded_pod(namespace, labels, ports, known, unknown):
    """A guarded pod: its namespace's labels are known when the namespace is in the input."""
    return Pod(namespace, labels, None, ports, known.get(namespace), unknown, namespace not in known)


def _role(what, namespace, labels):
    return f"{what} ({namespace}: {_labels_text(labels)})"


class _Question:
    """One check: the guarded pod, the direction, what is permitted, and the
    witness values every rule's search starts from."""

    __slots__ = ("check", "direction", "guarded", "role", "permits", "namespaces", "bound", "preferred_ports",
                 "base_ports", "taken", "address_permits")

    def __init__(self, check, direction, guarded, role, permits, namespaces, bound, preferred_ports=_PREFERRED_PORTS):
        self.check = check
        self.direction = direction
        self.guarded = guarded
        self.role = role
        self.permits = permits
        self.namespaces = namespaces
        self.bound = bound
        self.preferred_ports = preferred_ports
        self.base_ports: set = set()
        self.taken = {guarded.namespace, *guarded.labels.values()}
        self.address_permits = [p for p in permits if p.blocks is not None]
        for permit in permits:
            _add_port_points(permit.ports, self.base_ports)
            self.taken.add(permit.namespace)
            self.taken.update((permit.labels or {}).values())

    def destination(self, endpoint):
        """The pod whose named ports a ports entry refers to."""
        pod = endpoint if self.direction == EGRESS else self.guarded
        return pod if isinstance(pod, Pod) else None

    def permitted(self, endpoint, port, protocol):
        destination = self.destination(endpoint)
        return any(p.covers(endpoint, port, protocol, destination) for p in self.permits)


def _leaks(policies, question):
    isolated, rules = policies.applying(question.guarded, question.direction)
    if not isolated:
        everything = netpol.Rule(None, question.direction, None, None, None)
        found = _witness(everything, None, question, _Candidates(question, everything, None))
        return [_violation(question, None, None, found)] if found else []
    out = []
    for rule in rules:
        for peer in (rule.peers if rule.peers is not None else (None,)):
            found = _witness(rule, peer, question, _Candidates(question, rule, peer))
            if found:
                out.append(_violation(question, rule, peer, found))
    return out


# -- witness search ---------------------------------------------------------

class _Candidates:
    """Finite witness sets for one peer of one rule: every port range
    boundary of the rule and of the question's permits, and a label value
    and a namespace name used by neither. (Addresses are searched as
    intervals: see _address_witness.) Also what every request to the peer
    shares, worked out at its first: see `probe` and _selector_space."""

    __slots__ = ("ports", "fresh_value", "fresh_namespace", "probes", "space")

    def __init__(self, question, rule, peer):
        ports = set(question.base_ports)
        _add_port_points(rule.ports, ports)
        values = set(question.taken)
        if rule.policy is not None:
            values.add(rule.policy.namespace)
        if peer is not None:
            _collect_selector(peer.pods, values)
            _collect_selector(peer.namespaces, values)
        self.ports = _unique(list(question.preferred_ports) + sorted(ports))
        self.fresh_value = _fresh("other-value", values)
        self.fresh_namespace = _fresh("other-namespace", values, question.namespaces.taken)
        self.probes: dict = {}
        self.space = _UNSET

    def probe(self, container_ports):
        """A pod of the fresh namespace with these container ports, only
        ever asked which ports it names (the destination of a request)."""
        pod = self.probes.get(container_ports)
        if pod is None:
            pod = self.probes[container_ports] = Pod(self.fresh_namespace, {}, None, container_ports)
        return pod


_UNSET = object()


def _add_port_points(ranges, points):
    points.add(1)
    for r in ranges or ():
        if r.start is not None:
            points.add(r.start)
            if r.end < 65535:
                points.add(r.end + 1)


def _collect_selector(selector, values):
    if selector is not None:
        values.update(selector.equal.values())
        for _, _, requirement_values in selector.requirements:
            values.update(requirement_values)


def _fresh(base, taken, more=frozenset()):
    name, n = base, 1
    while name in taken or name in more:
        n += 1
        name = f"{base}-{n}"
    return name


def _unique(items):
    return list(dict.fromkeys(items))


def _witness(rule, peer, question, candidates):
    """The first (endpoint, port, protocol) this peer of this rule allows
    and the question does not permit; None when there is none."""
    namespace = rule.policy.namespace if rule.policy else None
    for port, protocol, name in _requests(rule, candidates):
        # a named port is the destination's: on egress the witness pod gets it
        container_ports = ((name, port, protocol),) if name and question.direction == EGRESS else ()
        if not rule.port_matches(port, protocol, question.destination(candidates.probe(container_ports))):
            continue
        for endpoint in _endpoints(peer, namespace, port, protocol, container_ports, question, candidates):
            if (peer is None or peer.matches(endpoint, namespace)) \
                    and rule.port_matches(port, protocol, question.destination(endpoint)) \
                    and not question.permitted(endpoint, port, protocol):
                return endpoint, port, protocol
    return None


def _requests(rule, candidates):
    """(port, protocol, container port name or None) to try, without repeats.
    A named port needs a destination pod that names it: the witness pod
    gets that container port. A protocol without ports (ICMP, from other
    policy kinds) is tried as port 0."""
    if rule.ports is None:
        return [(port, protocol, None) for port in candidates.ports for protocol in PROTOCOLS]
    out = []
    for r in rule.ports:
        if r.protocol not in PROTOCOLS:
            out.append((0, r.protocol, None))
        elif r.name is not None:
            out += [(port, r.protocol, r.name) for port in candidates.ports]
        else:
            out += [(port, r.protocol, None) for port in candidates.ports
                    if r.start is None or r.start <= port <= r.end]
    return _unique(out)


def _endpoints(peer, namespace, port, protocol, container_ports, question, candidates):
    """Witness endpoints for one peer (None: every peer) and request."""
    if peer is None or peer.block is not None:
        if not container_ports:  # an address outside the cluster never has a named port
            yield from _address_witness(peer, port, protocol, None, question)
        elif peer is not None:  # a pod at the address, with that named port
            yield from (Pod(candidates.fresh_namespace, {}, ip, container_ports)
                        for ip in _address_witness(peer, port, protocol, candidates.probe(container_ports), question))
        if peer is None:
            yield Pod(candidates.fresh_namespace, {}, None, container_ports)
        return
    destination = question.destination(candidates.probe(container_ports))
    pod_permits = [p for p in question.permits if p.blocks is None and p.covers_port(port, protocol, destination)]
    pod = _selector_witness(peer, namespace, pod_permits, container_ports, question, candidates)
    if pod is not None:
        yield pod


def _address_witness(peer, port, protocol, destination, question):
    """The address the peer (None: every address) allows for this request
    and no address permit covers: a preferred one if any is, else the
    lowest. At most one."""
    if peer is None:
        allowed = intervals.EVERYTHING
    else:
        if peer.block.spans is None:
            peer.block.spans = intervals.of_blocks([peer.block])
        allowed = peer.block.spans
    applying = tuple(permit for permit in question.address_permits if permit.covers_port(port, protocol, destination))
    yield from _uncovered_address(allowed, applying)


# (id of the allowed addresses, ids of the permits) -> (those objects, the answer)
_UNCOVERED: dict = {}


def _uncovered_address(allowed, permits):
    """[an address of `allowed` (intervals) no permit covers]: a preferred
    one if any is, else the lowest; [] when there is none.

    Remembered by the objects asked about: every agent's proxy asks it of
    the same Blocks (shared, see netpol.compile_block) and the same
    forbidden-range Permit (_outside_cached), and the answer cost more than
    the rest of its question. Both are never changed once made; the entry
    holds them, so no other object can take their ids while it is there."""
    key = (id(allowed), *map(id, permits))
    known = _UNCOVERED.get(key)
    if known is None:
        if len(_UNCOVERED) >= _UNCOVERED_KEPT:
            _UNCOVERED.clear()
        covered = intervals.union([permit.spans() for permit in permits])
        known = _UNCOVERED[key] = (allowed, permits, _preferred_or_lowest(intervals.subtract(allowed, covered)))
    return known[2]


_UNCOVERED_KEPT = 10_000


def _preferred_or_lowest(spans):
    for ip in _PREFERRED_IPS:
        if intervals.contains(spans, ip):
            return [ip]
    lowest = intervals.lowest(spans)
    return [] if lowest is None else [lowest]


def _selector_witness(peer, policy_namespace, permits, container_ports, question, candidates):
    """A pod matching the peer's selectors that no pod permit covers, or None.

    Label keys the pod selector does not require stay absent, and keys it
    only needs to exist get a fresh value: both differ from every permit.
    What is left is a small search over the required values (and namespace
    names) for one that breaks every permit.
    """
    space = _selector_space(peer, policy_namespace, question, candidates)
    if space is None:
        return None
    options, domains = space
    targets = [{_NAMESPACE: p.namespace, **p.labels} for p in permits]
    targets = [t for t in targets if all(want in domains.get(var, ()) for var, want in t.items())]
    if any(all(domains[var] == [want] for var, want in t.items()) for t in targets):
        return None  # a permit every matching pod falls under
    chosen = _break_all(targets, domains, {})
    if chosen is None:
        return None
    name = chosen.get(_NAMESPACE, domains[_NAMESPACE][0])
    labels = {k: chosen.get(k, values[0]) for k, values in domains.items() if k != _NAMESPACE}
    return Pod(name, labels, None, container_ports, options[name])


def _selector_space(peer, policy_namespace, question, candidates):
    """({namespace name: its labels} a witness pod may live in, the values
    each variable may take), or None when no pod can match the peer. The
    same for every request to the peer: worked out once, read only."""
    if candidates.space is _UNSET:
        options = _namespace_options(peer, policy_namespace, question.namespaces, candidates)
        domains = _label_domains(peer.pods, candidates.fresh_value)
        if not options or domains is None:
            candidates.space = None
        else:
            domains[_NAMESPACE] = [name for name, _ in options]
            candidates.space = (dict(options), domains)
    return candidates.space


def _break_all(targets, domains, chosen):
    """Values for some variables such that every target has a variable set
    to something else than it wants; None when impossible."""
    for target in targets:
        if not any(var in chosen and chosen[var] != want for var, want in target.items()):
            break
    else:
        return chosen
    for var, want in target.items():
        if var in chosen:
            continue
        for value in domains[var]:
            if value != want:
                found = _break_all(targets, domains, {**chosen, var: value})
                if found is not None:
                    return found
    return None


def _label_domains(selector, fresh):
    """For each label key the selector needs present, the values that
    satisfy it (a fresh one where any value does); None when nothing can
    match. No selector: no key is needed."""
    if selector is None:
        return {}
    domains = {k: {v} for k, v in selector.equal.items()}
    for key, operator, values in selector.requirements:
        if operator == "In":
            domains[key] = domains[key] & values if key in domains else set(values)
    for key, operator, _ in selector.requirements:
        if operator == "Exists" and key not in domains:
            domains[key] = {fresh}
    for key, operator, values in selector.requirements:
        if operator == "NotIn" and key in domains:
            domains[key] -= values
        if operator == "DoesNotExist" and key in domains:
            return None
    if any(not values for values in domains.values()):
        return None
    return {k: sorted(domains[k]) for k in sorted(domains)}


def _namespace_options(peer, policy_namespace, known, candidates):
    """(name, labels) of the namespaces a witness pod may live in: the
    policy's own for a bare podSelector; else those the namespaceSelector
    can match, hypothetical ones carrying just the labels it needs."""
    if peer.namespaces is None:
        return [(policy_namespace, known.get(policy_namespace) or {})]
    domains = _label_domains(peer.namespaces, candidates.fresh_value)
    if domains is None:
        return []
    names = domains.pop(NAME_LABEL, [candidates.fresh_value])
    names = [candidates.fresh_namespace if n == candidates.fresh_value else n for n in names]
    options = []
    for name in names:
        labels = known[name] if name in known else {k: values[0] for k, values in domains.items()}
        if peer.namespaces.matches({**(labels or {}), NAME_LABEL: name}):
            options.append((name, labels or {}))
    return options


# -- reporting --------------------------------------------------------------

def _violation(question, rule, peer, found):
    endpoint, port, protocol = found
    flow = _flow_text(question, endpoint, port, protocol)
    if rule is None:
        direction = question.direction.lower()
        message = (f"no NetworkPolicy isolates {question.role} for {direction}: all {direction} traffic is "
                   f"allowed, e.g. {flow}; {question.bound}")
        return Violation(question.check, MISSING_ISOLATION, None, None, None, endpoint, port, protocol, message,
                         None, question.guarded)
    field = rule.peer_field(peer)
    message = f"{rule.policy.title} {field} allows it: {flow}; {question.bound}"
    return Violation(question.check, LEAK, rule.policy.key, rule.field, field, endpoint, port, protocol, message,
                     rule.policy.position, question.guarded)


def _flow_text(question, endpoint, port, protocol):
    request = f"{protocol} {port}" if protocol in PROTOCOLS else protocol
    names = [name for name, number, proto in getattr(endpoint, "ports", ()) if (number, proto) == (port, protocol)]
    if names:
        request += f" (its port named {names[0]})"
    if question.direction == EGRESS:
        return f"{question.role} can reach {_endpoint_text(endpoint)} on {request}"
    return f"{_endpoint_text(endpoint)} can reach {question.role} on {request}"


def _endpoint_text(endpoint):
    if not isinstance(endpoint, Pod):
        return str(endpoint)
    labels = f"a pod labelled {_labels_text(endpoint.labels)}" if endpoint.labels else "any pod"
    text = f"{labels} in namespace {endpoint.namespace}"
    namespace_labels = {k: v for k, v in endpoint.namespace_labels.items() if k != NAME_LABEL}
    if namespace_labels:
        text += f" (labelled {_labels_text(namespace_labels)})"
    if endpoint.ip is not None:
        text += f" with IP {endpoint.ip}"
    return text


def _labels_text(labels):
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"
