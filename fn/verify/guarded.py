"""The labels an agent's pods carry at run time beyond their template's."""

from .. import conventions as C

# Argo Rollouts strategy metadata: labels its pods wear during a rollout only.
_ROLLOUT_METADATA = (("canary", "canaryMetadata"), ("canary", "stableMetadata"),
                     ("blueGreen", "activeMetadata"), ("blueGreen", "previewMetadata"))


def runtime_keys(agent):
    """Label keys the agent's pods carry at run time, with values not known
    here: those its controller adds (conventions.RUNTIME_LABELS) and, for a
    Rollout, its strategy's canary/stable/active/preview labels, which come
    and go during a rollout."""
    keys = list(C.RUNTIME_LABELS.get(agent.kind, ()))
    data: dict = agent.item.data if agent.item is not None and isinstance(agent.item.data, dict) else {}
    if agent.kind == "Rollout":
        strategy = _mapping(_mapping(data, "spec"), "strategy")
        for family, key in _ROLLOUT_METADATA:
            labels = _mapping(_mapping(_mapping(strategy, family), key), "labels")
            keys += [k for k in labels if isinstance(k, str)]
    return tuple(dict.fromkeys(keys))


def _mapping(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
