"""The proxy PodDisruptionBudget: node drains never take every proxy pod at once."""

from . import names
from .meta import object_meta


def build(agent, config, annotations=None):
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": object_meta(names.pdb_name(agent.proxy), agent, "pdb", annotations),
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": names.proxy_labels(agent.proxy)},
        },
    }
