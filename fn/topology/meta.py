"""Object metadata shared by every generated object."""

from .. import conventions as C
from . import names

# The agent's own objects stay beside it; the rest go where the proxy runs.
_AGENT_SIDE = (C.Role.AGENT_POLICY, C.Role.PROBE_SCRIPT, C.Role.PROBE_JOB)


def object_meta(name, agent, role):
    meta = {"name": name}
    namespace = agent.namespace if role in _AGENT_SIDE else agent.proxy_namespace
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = names.common_labels(agent.proxy, role)
    return meta
