"""The proxy NetworkPolicy: ingress from its agent only; egress to the
cluster DNS and to the internet on the configured ports, with cloud
metadata, link-local and private ranges cut out."""

from .. import conventions as C
from . import names
from .meta import object_meta
from .policy_rules import dns_rule, internet_peers

ROLE = C.Role.PROXY_POLICY


def build(agent, settings):
    egress = settings.proxy_egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(names.proxy_policy_name(agent.proxy), agent, ROLE),
        "spec": {
            "podSelector": {"matchLabels": names.proxy_labels(agent.proxy)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [{"podSelector": agent.selector}],
                "ports": [{"protocol": "TCP", "port": C.PROXY_PORT}],
            }],
            "egress": [
                dns_rule(settings),
                {
                    "to": internet_peers(egress.allow_cidrs, egress.deny_cidrs),
                    "ports": [{"protocol": "TCP", "port": p} for p in egress.ports],
                },
            ],
        },
    }
