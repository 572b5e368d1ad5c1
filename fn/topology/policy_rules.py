"""NetworkPolicy rules both generated policies use."""

import ipaddress

from .. import conventions as C


def namespace_selector(namespace):
    return {"matchLabels": {C.NAMESPACE_NAME_LABEL: namespace}}


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
