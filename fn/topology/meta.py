"""Object metadata shared by every generated object."""

from . import names


def object_meta(name, agent, component, extra_annotations=None):
    meta = {"name": name}
    if agent.namespace:
        meta["namespace"] = agent.namespace
    meta["labels"] = names.common_labels(agent.proxy, component)
    annotations = dict(extra_annotations or {})
    if annotations:
        meta["annotations"] = annotations
    return meta
