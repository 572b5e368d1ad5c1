"""The proxy PodDisruptionBudget: node drains never take every proxy pod at once."""

from .. import conventions as C
from . import names
from .meta import object_meta

ROLE = C.Role.PDB


def build(agent, settings):
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": object_meta(names.pdb_name(agent.proxy), agent, ROLE),
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": names.proxy_labels(agent.proxy)},
        },
    }
