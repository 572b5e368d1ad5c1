"""The two NetworkPolicies that make the topology an enforced boundary.

Agent: egress to the cluster DNS and its proxy (and each configured direct
destination), nothing else. Proxy: ingress from its agent only; egress to
the cluster DNS and to the internet on the configured ports, with cloud
metadata, link-local and private ranges cut out.
"""

import ipaddress

from . import names
from .meta import object_meta

DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def _namespace_selector(namespace):
    return {"matchLabels": {"kubernetes.io/metadata.name": namespace}}


def dns_rule(config):
    """Port 53 to the cluster DNS pods only: open 53 to every IP is a tunnel."""
    dns = config["dns"]
    peers = [{"namespaceSelector": _namespace_selector(dns["namespace"]), "podSelector": {"matchLabels": dns["podLabels"]}}]
    peers += [{"ipBlock": {"cidr": cidr}} for cidr in dns["cidrs"]]
    return {"to": peers, "ports": DNS_PORTS}


def destination_rule(destination):
    if destination.cidrs:
        peers = [{"ipBlock": {"cidr": cidr}} for cidr in destination.cidrs]
    else:
        peer = {"podSelector": {"matchLabels": destination.pod_labels}}
        if destination.namespace:  # without one: the agent's own namespace
            peer = {"namespaceSelector": _namespace_selector(destination.namespace), **peer}
        peers = [peer]
    return {"to": peers, "ports": destination.ports}


def build_agent(agent, config, annotations=None):
    egress = [
        dns_rule(config),
        {
            "to": [{"podSelector": {"matchLabels": names.proxy_labels(agent.proxy)}}],
            "ports": [{"protocol": "TCP", "port": names.PROXY_PORT}],
        },
    ]
    egress += [destination_rule(d) for d in agent.destinations]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(names.agent_policy_name(agent.name), agent, "agent-network-policy", annotations),
        "spec": {"podSelector": agent.selector, "policyTypes": ["Egress"], "egress": egress},
    }


def internet_peers(allow_cidrs, deny_cidrs):
    """ipBlocks for each allowed range, each excepting the denied ranges inside it."""
    peers = []
    denied = [ipaddress.ip_network(c, strict=False) for c in deny_cidrs]
    for cidr in allow_cidrs:
        allowed = ipaddress.ip_network(cidr, strict=False)
        excepts = [str(d) for d in denied
                   if d.version == allowed.version and d != allowed and d.subnet_of(allowed)]
        block = {"cidr": str(allowed)}
        if excepts:
            block["except"] = excepts
        peers.append({"ipBlock": block})
    return peers


def build_proxy(agent, config, annotations=None):
    egress_spec = config["proxyEgress"]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(names.proxy_policy_name(agent.proxy), agent, "network-policy", annotations),
        "spec": {
            "podSelector": {"matchLabels": names.proxy_labels(agent.proxy)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [{"podSelector": agent.selector}],
                "ports": [{"protocol": "TCP", "port": names.PROXY_PORT}],
            }],
            "egress": [
                dns_rule(config),
                {
                    "to": internet_peers(egress_spec["allowCIDRs"], egress_spec["denyCIDRs"]),
                    "ports": [{"protocol": "TCP", "port": p} for p in egress_spec["ports"]],
                },
            ],
        },
    }
