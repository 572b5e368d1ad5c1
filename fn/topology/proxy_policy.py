"""The proxy NetworkPolicy: ingress from its agent only (and the metrics
scraper, when one is declared); egress to the cluster DNS and to the
internet on the configured ports, with cloud metadata, link-local and
private ranges cut out, in every address form that reaches them."""

from .. import conventions as C
from . import names
from .meta import object_meta
from .policy_rules import dns_rule, internet_peers, pods_in

ROLE = C.Role.PROXY_POLICY


def build(agent, settings):
    egress = settings.proxy_egress
    # In a namespace of its own, the proxy admits the agent's namespace and
    # labels together; beside the agent, its own namespace is implied.
    agent_namespace = agent.namespace if agent.proxy_namespace != agent.namespace else None
    ingress = [{
        "from": [pods_in(agent_namespace, agent.selector)],
        "ports": [{"protocol": "TCP", "port": C.PROXY_PORT}],
    }]
    scraper = settings.metrics.scraper
    if scraper is not None:
        ingress.append({
            "from": [pods_in(scraper.namespace, {"matchLabels": scraper.pod_labels})],
            "ports": [{"protocol": "TCP", "port": C.METRICS_PORT}],
        })
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(names.proxy_policy_name(agent.proxy), agent, ROLE),
        "spec": {
            "podSelector": {"matchLabels": names.proxy_labels(agent.proxy)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": [
                dns_rule(settings),
                {
                    "to": internet_peers(egress.allow_cidrs, egress.deny_cidrs),
                    "ports": [{"protocol": "TCP", "port": p} for p in egress.ports],
                },
            ],
        },
    }
