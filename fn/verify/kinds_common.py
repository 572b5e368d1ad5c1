"""What the compilers of other policy kinds share: a builder for one
compiled policy, and peers and ports in netpol's vocabulary."""

import ipaddress

from ..krm import selector as krm_selector
from . import netpol
from .netpol import EGRESS, INGRESS, PROTOCOLS, Block, Peer, PortRange

ALL_PODS = krm_selector.Selector({}, ())  # a selector every label set satisfies
OTHER_PROTOCOL = "ICMP"  # what the analysis tries for rules that name a protocol without ports
_EVERYWHERE = tuple(ipaddress.ip_network(c) for c in ("0.0.0.0/0", "::/0"))


def _may(_pod):
    """A subject that may select any pod: neither True nor False."""


class Builder:
    """One compiled policy of another kind: its subject, allow rules,
    refusals (what could not be read), and problems (what its API server
    would reject)."""

    def __init__(self, kind, namespace, name, position, problems):
        self.kind = kind
        key = f"{namespace}/{name}" if namespace is not None else name
        self.where = netpol.Where(key, problems, kind, position)
        self.refusals: dict = {INGRESS: [], EGRESS: []}
        self.policy = netpol.Policy(namespace, name, None, frozenset(), {INGRESS: (), EGRESS: ()}, position,
                                    kind=kind, subject=_may, isolates=False, anchors=[],
                                    refusals=self.refusals)

    def select(self, subject, anchors, types):
        policy = self.policy
        policy.subject = subject
        policy.anchors = anchors
        policy.types = frozenset(types)
        return policy

    def refuse(self, directions, field, reason):
        for direction in directions:
            self.refusals[direction].append((field, reason))

    def unreadable(self, field, reason):
        """The policy may select any pod it can reach, in both directions, and nothing in it is read."""
        self.select(_may, [], (INGRESS, EGRESS))
        self.refuse((INGRESS, EGRESS), field, reason)
        return self.policy

    def rule(self, direction, index, field, peers, ports):
        """Add an allow rule; `peers` / `ports` None mean all."""
        rule = netpol.Rule(self.policy, direction, index, None if peers is None else tuple(peers), ports, field)
        self.policy.rules[direction] = (*self.policy.rules[direction], rule)
        return rule


def everywhere(field):
    """Peers for every address (no pod: addresses are what these name)."""
    return [Peer(i, block=Block(network), field=field) for i, network in enumerate(_EVERYWHERE)]


def cidr_peers(cidrs, field, where):
    """Block peers for a list of CIDR strings; invalid ones are problems."""
    out = []
    for i, text in enumerate(cidrs or ()):
        block = netpol.compile_block({"cidr": text}, f"{field}[{i}]", where)
        if block is not None:
            out.append(Peer(i, block=block, field=f"{field}[{i}]"))
    return out


def outside_peers(cidrs, field, where):
    """Block peers for every address in none of `cidrs` (Calico notNets)."""
    networks = []
    for i, text in enumerate(cidrs or ()):
        block = netpol.compile_block({"cidr": text}, f"{field}[{i}]", where)
        if block is not None:
            networks.append(block.network)
    out: list = []
    for everything in _EVERYWHERE:
        same = [n for n in networks if n.version == everything.version]
        if not any(n.prefixlen == 0 for n in same):
            out.append(Peer(len(out), block=Block(everything, same), field=field))
    return out


def port_ranges(protocols, numbers, names=()):
    """PortRanges for each protocol: numeric (start, end) ranges, named
    ports; all ports of the protocol when both are empty. A protocol
    outside TCP, UDP and SCTP takes no ports."""
    out: list = []
    for protocol in protocols:
        if protocol not in PROTOCOLS or (not numbers and not names):
            out.append(PortRange(protocol))
        else:
            out += [PortRange(protocol, start, end) for start, end in numbers]
            out += [PortRange(protocol, name=name) for name in names]
    return tuple(out)


def subtract(ranges, removed):
    """Numeric port ranges (start, end) minus other ones."""
    out = list(ranges)
    for low, high in removed:
        kept = []
        for start, end in out:
            if high < start or low > end:
                kept.append((start, end))
                continue
            if start < low:
                kept.append((start, low - 1))
            if end > high:
                kept.append((high + 1, end))
        out = kept
    return out


def is_port(value):
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535
