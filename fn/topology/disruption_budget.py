"""The proxy PodDisruptionBudget: a drain takes at most one proxy pod at a time.

maxUnavailable, not minAvailable: with 2 replicas the two are the same
budget (upstream's `minAvailable: 1`), with more it keeps more proxies up,
and with `replicas: 1` it still lets a drain evict the only pod, where
`minAvailable: 1` would block every drain of that node (settings.checks
warns about one replica)."""

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
            "maxUnavailable": 1,
            "selector": {"matchLabels": names.proxy_labels(agent.proxy)},
        },
    }
