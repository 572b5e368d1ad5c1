"""NetworkPolicy rules both generated policies use."""

import ipaddress

from .. import conventions as C

DNS_PORTS = [{"protocol": "UDP", "port": C.DNS_PORT}, {"protocol": "TCP", "port": C.DNS_PORT}]


def namespace_selector(namespace):
    return {"matchLabels": {C.NAMESPACE_NAME_LABEL: namespace}}


def dns_rule(settings):
    """Port 53 to the cluster DNS pods only: open 53 to every IP is a tunnel."""
    dns = settings.dns
    peers = [{"namespaceSelector": namespace_selector(dns.namespace), "podSelector": {"matchLabels": dns.pod_labels}}]
    peers += [{"ipBlock": {"cidr": cidr}} for cidr in dns.cidrs]
    return {"to": peers, "ports": DNS_PORTS}


def destination_rule(destination):
    if destination.cidrs:
        peers = [{"ipBlock": {"cidr": cidr}} for cidr in destination.cidrs]
    else:
        peer = {"podSelector": {"matchLabels": destination.pod_labels}}
        if destination.namespace:  # without one: the agent's own namespace
            peer = {"namespaceSelector": namespace_selector(destination.namespace), **peer}
        peers = [peer]
    return {"to": peers, "ports": destination.ports}


def internet_peers(allow_cidrs, deny_cidrs):
    """ipBlocks for each allowed range, each excepting the denied ranges inside it."""
    peers = []
    denied = [ipaddress.ip_network(c, strict=False) for c in deny_cidrs]
    for cidr in allow_cidrs:
        allowed = ipaddress.ip_network(cidr, strict=False)
        excepts = [str(d) for d in denied
                   if d.version == allowed.version and d != allowed and d.subnet_of(allowed)]  # type: ignore[arg-type]
        block: dict = {"cidr": str(allowed)}
        if excepts:
            block["except"] = excepts
        peers.append({"ipBlock": block})
    return peers
