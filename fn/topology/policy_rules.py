"""NetworkPolicy rules both generated policies use."""

import functools

from .. import addresses
from .. import conventions as C

NAT64, NAT64_OFFSET = addresses.EMBEDDINGS[0]


def namespace_selector(namespace):
    return {"matchLabels": {C.NAMESPACE_NAME_LABEL: namespace}}


def pods_in(namespace, pod_selector):
    """A peer: the pods `pod_selector` picks in `namespace` (None: the policy's own)."""
    peer = {"podSelector": pod_selector}
    return {"namespaceSelector": namespace_selector(namespace), **peer} if namespace else peer


def dns_ports(ports):
    """UDP and TCP on each DNS port, as NetworkPolicy ports entries (the
    verify side permits exactly these)."""
    return [{"protocol": protocol, "port": port} for port in ports for protocol in ("UDP", "TCP")]


def dns_rule(settings):
    """DNS to the cluster DNS pods (and spec.dns.cidrs) only: port 53 open
    to every IP is a tunnel."""
    dns = settings.dns
    peers = [{"namespaceSelector": namespace_selector(dns.namespace), "podSelector": {"matchLabels": dns.pod_labels}}]
    peers += [{"ipBlock": {"cidr": cidr}} for cidr in dns.cidrs]
    return {"to": peers, "ports": dns_ports(dns.ports)}


def destination_rule(destination):
    if destination.cidrs:
        peers = [{"ipBlock": {"cidr": cidr}} for cidr in destination.cidrs]
    else:
        peer = {"podSelector": {"matchLabels": destination.pod_labels}}
        if destination.namespace:  # without one: the agent's own namespace
            peer = {"namespaceSelector": namespace_selector(destination.namespace), **peer}
        peers = [peer]
    return {"to": peers, "ports": destination.ports}


def denied_networks(deny_cidrs):
    """What the proxy may never reach: the metadata ranges (always) and the
    configured denyCIDRs, without the ranges another one covers."""
    return addresses.maximal([addresses.parse_network(c)[0] for c in (*C.METADATA_CIDRS, *deny_cidrs)])


def internet_peers(allow_cidrs, deny_cidrs):
    """See _internet_blocks; fresh dicts each time (the caller owns them)."""
    return [_block(cidr, excepts) for cidr, excepts in _internet_texts(tuple(allow_cidrs), tuple(deny_cidrs))]


@functools.lru_cache(maxsize=16)
def _internet_texts(allow_cidrs, deny_cidrs):
    """_internet_blocks as the texts the policy holds, made once: every
    agent's proxy policy has the same blocks, and writing an IPv6 network
    as text costs more than the rest of the policy."""
    return tuple((str(network), tuple(map(str, excepts)))
                 for network, excepts in _internet_blocks(allow_cidrs, deny_cidrs))


def _internet_blocks(allow_cidrs, deny_cidrs):
    """ipBlocks for each allowed range, each excepting the denied ranges inside it.

    IPv6 ranges also except every IPv6 form that reaches IPv4 (NAT64,
    IPv4-compatible, 6to4, local-use NAT64, Teredo): through a translator
    they would reach a denied IPv4 address. NAT64's well-known prefix is
    given back as the image of the allowed IPv4 blocks, so NAT64 reaches
    exactly the IPv4 addresses the proxy may reach. IPv4-mapped addresses
    need nothing: the kernel sends them as IPv4. An allowed range inside a
    denied one is left out (the settings checks refuse it)."""
    denied = denied_networks(deny_cidrs)
    translated = [prefix for prefix, _ in addresses.EMBEDDINGS] + list(addresses.UNPLACED)
    blocks: list = []
    ipv4_blocks: list = []
    nat64 = False
    for cidr in allow_cidrs:
        allowed = addresses.parse_network(cidr)[0]
        same = [d for d in denied if d.version == allowed.version]
        if any(allowed.subnet_of(d) for d in same):
            continue
        inside = [d for d in same if d != allowed and d.subnet_of(allowed)]
        if allowed.version == 4:
            ipv4_blocks.append((allowed, inside))
        else:
            inside = addresses.maximal(inside + [t for t in translated if t != allowed and t.subnet_of(allowed)])
            nat64 = nat64 or NAT64 in inside
        blocks.append((allowed, inside))
    if nat64:
        blocks += [(addresses.embedded(NAT64, NAT64_OFFSET, network),
                    [addresses.embedded(NAT64, NAT64_OFFSET, e) for e in excepts])
                   for network, excepts in ipv4_blocks]
    return tuple(blocks)


def _block(cidr, excepts):
    block: dict = {"cidr": cidr}
    if excepts:
        block["except"] = list(excepts)
    return {"ipBlock": block}
