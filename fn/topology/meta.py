"""Object metadata shared by every generated object."""

from . import names


def object_meta(name, agent, role):
    meta = {"name": name}
    if agent.namespace:
        meta["namespace"] = agent.namespace
    meta["labels"] = names.common_labels(agent.proxy, role)
    return meta
