"""The agent NetworkPolicy: egress to the cluster DNS and its proxy (and
each configured direct destination), nothing else."""

from .. import conventions as C
from . import names
from .meta import object_meta
from .policy_rules import destination_rule, dns_rule, pods_in

ROLE = C.Role.AGENT_POLICY


def build(agent, settings):
    # With spec.proxyNamespace the proxy pods are pinned by namespace and
    # labels together: a pod wearing the proxy's labels in the agent's
    # namespace receives nothing.
    proxy_namespace = agent.proxy_namespace if agent.proxy_namespace != agent.namespace else None
    egress = [
        dns_rule(settings),
        {
            "to": [pods_in(proxy_namespace, {"matchLabels": names.proxy_labels(agent.proxy)})],
            "ports": [{"protocol": "TCP", "port": C.PROXY_PORT}],
        },
    ]
    egress += [destination_rule(d) for d in agent.destinations]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(names.agent_policy_name(agent.proxy), agent, ROLE),
        "spec": {"podSelector": agent.selector, "policyTypes": ["Egress"], "egress": egress},
    }
