"""Static leak analysis of the companion-proxy boundary over NetworkPolicies.

Three questions per managed agent, each judged on the guarded pods' own
side of the connection (the peers' policies live outside the package and
can change at any time):

- agent egress: can the agent pods reach anything but the cluster DNS on 53,
  their proxy on TCP 8888 and the destinations the caller permits?
- proxy ingress: can anything but the agent pods reach the proxy on TCP 8888?
- proxy egress: can the proxy reach cloud metadata, private ranges or
  cluster pods other than the DNS on 53?

Each rule of each policy that selects the guarded pods is searched for a
concrete leak, peer by peer, over finite witness sets that cover every case:
addresses at every CIDR boundary, ports at every range boundary, and for
selectors the pod (and, where needed, a hypothetical namespace) that
matches the peer while avoiding every permitted class of pods. A pod that
is not isolated at all is reported as "missing isolation".
"""

import ipaddress

from .. import conventions as C
from ..topology.policy_rules import dns_ports as dns_port_entries
from . import netpol
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
_PREFERRED_IPS = tuple(ipaddress.ip_address(a) for a in ("203.0.113.7", "2001:db8::7", "169.254.169.254",
                                                          "fd00:ec2::254"))
_NAMESPACE = ("namespace",)  # the search variable for the namespace; label keys are strings


class Violation:
    """One leak: which check, which policy rule allows it (None for missing
    isolation), and the concrete peer, port and protocol."""

    __slots__ = ("check", "kind", "policy", "rule", "field", "peer", "port", "protocol", "message")

    def __init__(self, check, kind, policy, rule, field, peer, port, protocol, message):
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

    __slots__ = ("namespace", "labels", "blocks", "ports", "problems")

    def __init__(self, namespace=None, labels=None, blocks=None, ports=None, problems=()):
        self.namespace = namespace
        self.labels = labels
        self.blocks = blocks
        self.ports = ports
        self.problems = list(problems)

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


def _outside(forbidden):
    """A Permit for every address outside the forbidden ranges, on any port.
    A malformed range is listed in the Permit's problems and forbids nothing."""
    problems: list = []
    where = netpol.Where("forbidden ranges", problems)
    blocks = [netpol.compile_block({"cidr": c}, f"forbidden[{i}]", where) for i, c in enumerate(forbidden)]
    ranges = [b.network for b in blocks if b is not None]
    blocks = []
    for everything in (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")):
        same = [r for r in ranges if r.version == everything.version]
        if any(r.prefixlen == 0 for r in same):
            continue
        blocks.append(netpol.Block(everything, same))
    return Permit(blocks=blocks, problems=problems)


def _dns_permits(dns, dns_cidrs, dns_ports=(DNS_PORT,)):
    ports = dns_port_entries(dns_ports)
    permits = [Permit.pods(dns[0], dns[1], ports)]
    if dns_cidrs:
        permits.append(Permit.cidrs(dns_cidrs, ports))
    return permits


# -- the three checks -------------------------------------------------------

def agent_egress(policies, namespace, agent_labels, proxy_labels, *, dns=DNS, dns_cidrs=(), permits=(),
                 namespaces=None, dns_ports=(DNS_PORT,)):
    """Leaks out of the agent pods: anything but DNS on `dns_ports`, the
    proxy pods on TCP 8888 and `permits` (a list of Permit)."""
    namespaces = namespaces or {}
    allowed = _dns_permits(dns, dns_cidrs, dns_ports)
    allowed.append(Permit.pods(namespace, proxy_labels, [{"protocol": "TCP", "port": PROXY_PORT}]))
    question = _Question(AGENT_EGRESS, EGRESS, _pod(namespace, agent_labels, (), namespaces),
                         _role("the agent pods", namespace, agent_labels), allowed + list(permits), None,
                         namespaces, "the agent may reach only the cluster DNS, its proxy and its "
                         "permitted destinations")
    return _leaks(_policy_set(policies), question)


def proxy_ingress(policies, namespace, agent_labels, proxy_labels, *, proxy_ports=PROXY_CONTAINER_PORTS,
                  port=PROXY_PORT, namespaces=None):
    """Leaks into the proxy pods on TCP `port` from anything but the agent pods."""
    namespaces = namespaces or {}
    allowed = [Permit.pods(namespace, agent_labels)]
    question = _Question(PROXY_INGRESS, INGRESS, _pod(namespace, proxy_labels, proxy_ports, namespaces),
                         _role("the proxy pods", namespace, proxy_labels), allowed, [(port, "TCP")],
                         namespaces, "only the agent pods may")
    return _leaks(_policy_set(policies), question)


def proxy_egress(policies, namespace, proxy_labels, *, proxy_ports=PROXY_CONTAINER_PORTS, dns=DNS, dns_cidrs=(),
                 forbidden=FORBIDDEN_CIDRS, namespaces=None, dns_ports=(DNS_PORT,)):
    """Leaks out of the proxy pods: the `forbidden` ranges on any port, and
    cluster pods other than DNS on `dns_ports`."""
    namespaces = namespaces or {}
    allowed = [*_dns_permits(dns, dns_cidrs, dns_ports), _outside(forbidden)]
    question = _Question(PROXY_EGRESS, EGRESS, _pod(namespace, proxy_labels, proxy_ports, namespaces),
                         _role("the proxy pods", namespace, proxy_labels), allowed, None, namespaces,
                         "the proxy may reach neither cloud metadata, private ranges nor cluster pods "
                         "(other than the DNS on 53)")
    return _leaks(_policy_set(policies), question)


def check_agent(policies, namespace, agent_labels, proxy_labels, *, proxy_ports=PROXY_CONTAINER_PORTS, dns=DNS,
                dns_cidrs=(), permits=(), forbidden=FORBIDDEN_CIDRS, namespaces=None, dns_ports=(DNS_PORT,)):
    """All three checks for one agent, in that order."""
    policies = _policy_set(policies)
    return (agent_egress(policies, namespace, agent_labels, proxy_labels, dns=dns, dns_cidrs=dns_cidrs,
                         permits=permits, namespaces=namespaces, dns_ports=dns_ports)
            + proxy_ingress(policies, namespace, agent_labels, proxy_labels, proxy_ports=proxy_ports,
                            namespaces=namespaces)
            + proxy_egress(policies, namespace, proxy_labels, proxy_ports=proxy_ports, dns=dns,
                           dns_cidrs=dns_cidrs, forbidden=forbidden, namespaces=namespaces, dns_ports=dns_ports))


def _policy_set(policies):
    return policies if isinstance(policies, netpol.PolicySet) else netpol.PolicySet(policies)


def _pod(namespace, labels, ports, namespaces):
    return Pod(namespace, labels, None, ports, namespaces.get(namespace))


def _role(what, namespace, labels):
    return f"{what} ({namespace}: {_labels_text(labels)})"


class _Question:
    """One check: the guarded pod, the direction, what is permitted, and the
    requests to try (None: every port and protocol)."""

    __slots__ = ("check", "direction", "guarded", "role", "permits", "requests", "namespaces", "bound")

    def __init__(self, check, direction, guarded, role, permits, requests, namespaces, bound):
        self.check = check
        self.direction = direction
        self.guarded = guarded
        self.role = role
        self.permits = permits
        self.requests = requests
        self.namespaces = namespaces
        self.bound = bound

    def destination(self, endpoint):
        """The pod whose named ports a ports entry refers to."""
        pod = endpoint if self.direction == EGRESS else self.guarded
        return pod if isinstance(pod, Pod) else None

    def permitted(self, endpoint, port, protocol):
        destination = self.destination(endpoint)
        return any(p.covers(endpoint, port, protocol, destination) for p in self.permits)


def _leaks(policies, question):
    candidates = _Candidates(policies, question)
    rules = policies.rules(question.guarded, question.direction)
    if rules is None:
        everything = netpol.Rule(None, question.direction, None, None, None)
        found = _witness(everything, None, question, candidates)
        return [_violation(question, None, None, found)] if found else []
    out = []
    for rule in rules:
        for peer in (rule.peers if rule.peers is not None else (None,)):
            found = _witness(rule, peer, question, candidates)
            if found:
                out.append(_violation(question, rule, peer, found))
    return out


# -- witness search ---------------------------------------------------------

class _Candidates:
    """Finite witness sets for one question: every address and port range
    boundary of the policies and permits, and label values and a namespace
    name used nowhere."""

    __slots__ = ("ips", "ports", "fresh_value", "fresh_namespace")

    def __init__(self, policies, question):
        blocks: list = []
        ranges: list = []
        values: set = set()
        for policy in policies.policies:
            values.add(policy.namespace)
            _collect_selector(policy.selector, values)
            for rule in policy.rules[INGRESS] + policy.rules[EGRESS]:
                ranges.extend(rule.ports or ())
                for peer in rule.peers or ():
                    if peer.block is not None:
                        blocks.append(peer.block)
                    _collect_selector(peer.pods, values)
                    _collect_selector(peer.namespaces, values)
        for permit in question.permits:
            blocks.extend(permit.blocks or ())
            ranges.extend(permit.ports or ())
            values.add(permit.namespace)
            values.update((permit.labels or {}).values())
        values.update(question.guarded.labels.values())
        values.update(question.namespaces)
        for labels in question.namespaces.values():
            values.update((labels or {}).values())
        self.ips = _witness_ips(blocks)
        self.ports = _witness_ports(ranges)
        self.fresh_value = _fresh("other-value", values)
        self.fresh_namespace = _fresh("other-namespace", values)


def _collect_selector(selector, values):
    if selector is not None:
        values.update(selector.equal.values())
        for _, _, requirement_values in selector.requirements:
            values.update(requirement_values)


def _fresh(base, taken):
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _witness_ips(blocks):
    """One address in each interval between CIDR boundaries: within one,
    every ipBlock and permit treats all addresses alike."""
    points = {ipaddress.IPv4Address(0), ipaddress.IPv6Address(0)}
    for block in blocks:
        for network in (block.network, *block.excepts):
            points.add(network.network_address)
            after = int(network.broadcast_address) + 1
            if after < 2 ** network.max_prefixlen:
                points.add(type(network.network_address)(after))
    return _unique(list(_PREFERRED_IPS) + sorted(points, key=lambda ip: (ip.version, int(ip))))


def _witness_ports(ranges):
    """One port in each interval between port range boundaries."""
    points = {1}
    for r in ranges:
        if r.start is not None:
            points.add(r.start)
            if r.end < 65535:
                points.add(r.end + 1)
    return _unique(list(_PREFERRED_PORTS) + sorted(points))


def _unique(items):
    return list(dict.fromkeys(items))


def _witness(rule, peer, question, candidates):
    """The first (endpoint, port, protocol) this peer of this rule allows
    and the question does not permit; None when there is none."""
    namespace = rule.policy.namespace if rule.policy else None
    for port, protocol, name in _requests(rule, question, candidates):
        container_ports = ((name, port, protocol),) if name else ()
        probe = Pod(candidates.fresh_namespace, {}, None, container_ports)
        if not rule.port_matches(port, protocol, question.destination(probe)):
            continue
        for endpoint in _endpoints(peer, namespace, port, protocol, container_ports, question, candidates):
            if (peer is None or peer.matches(endpoint, namespace)) \
                    and rule.port_matches(port, protocol, question.destination(endpoint)) \
                    and not question.permitted(endpoint, port, protocol):
                return endpoint, port, protocol
    return None


def _requests(rule, question, candidates):
    """(port, protocol, container port name or None) to try, without repeats.
    A named port needs a destination pod that names it: the witness pod
    gets that container port."""
    if question.requests is not None:
        return [(port, protocol, None) for port, protocol in question.requests]
    if rule.ports is None:
        return [(port, protocol, None) for port in candidates.ports for protocol in PROTOCOLS]
    out = []
    for r in rule.ports:
        if r.name is not None:
            out += [(port, r.protocol, r.name) for port in candidates.ports]
        else:
            out += [(port, r.protocol, None) for port in candidates.ports
                    if r.start is None or r.start <= port <= r.end]
    return _unique(out)


def _endpoints(peer, namespace, port, protocol, container_ports, question, candidates):
    """Witness endpoints for one peer (None: every peer) and request."""
    if peer is None or peer.block is not None:
        ips = [ip for ip in candidates.ips if peer is None or peer.block.contains(ip)]
        if not container_ports:  # an address outside the cluster never has a named port
            yield from ips
        elif peer is not None:
            yield from (Pod(candidates.fresh_namespace, {}, ip, container_ports) for ip in ips)
        if peer is None:
            yield Pod(candidates.fresh_namespace, {}, None, container_ports)
        return
    destination = question.destination(Pod(candidates.fresh_namespace, {}, None, container_ports))
    pod_permits = [p for p in question.permits if p.blocks is None and p.covers_port(port, protocol, destination)]
    pod = _selector_witness(peer, namespace, pod_permits, container_ports, question, candidates)
    if pod is not None:
        yield pod


def _selector_witness(peer, policy_namespace, permits, container_ports, question, candidates):
    """A pod matching the peer's selectors that no pod permit covers, or None.

    Label keys the pod selector does not require stay absent, and keys it
    only needs to exist get a fresh value: both differ from every permit.
    What is left is a small search over the required values (and namespace
    names) for one that breaks every permit.
    """
    options = _namespace_options(peer, policy_namespace, question.namespaces, candidates)
    domains = _label_domains(peer.pods, candidates.fresh_value)
    if not options or domains is None:
        return None
    domains[_NAMESPACE] = [name for name, _ in options]
    targets = [{_NAMESPACE: p.namespace, **p.labels} for p in permits]
    targets = [t for t in targets if all(want in domains.get(var, ()) for var, want in t.items())]
    if any(all(domains[var] == [want] for var, want in t.items()) for t in targets):
        return None  # a permit every matching pod falls under
    chosen = _break_all(targets, domains, {})
    if chosen is None:
        return None
    name = chosen.get(_NAMESPACE, domains[_NAMESPACE][0])
    labels = {k: chosen.get(k, values[0]) for k, values in domains.items() if k != _NAMESPACE}
    return Pod(name, labels, None, container_ports, dict(options)[name])


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
        return Violation(question.check, MISSING_ISOLATION, None, None, None, endpoint, port, protocol, message)
    field = rule.peer_field(peer)
    message = f"NetworkPolicy {rule.policy.key} {field} allows it: {flow}; {question.bound}"
    return Violation(question.check, LEAK, rule.policy.key, rule.field, field, endpoint, port, protocol, message)


def _flow_text(question, endpoint, port, protocol):
    request = f"{protocol} {port}"
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
