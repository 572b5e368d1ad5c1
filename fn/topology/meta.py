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


def container_security():
    """The securityContext of the containers the function adds to a pod it
    does not own (the trust init container) or runs alone (the probe): no
    privileges, a read-only root, nothing but what RuntimeDefault allows.
    No runAsUser: the pod or the image says it, and a fixed UID would get
    the pod refused where the platform assigns them (OpenShift's restricted
    SCC)."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
