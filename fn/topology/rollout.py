"""Rollout order, for the declarative tools that apply the output.

The seed's order: proxy Deployment + Service, ready endpoints, then the
agent NetworkPolicy, then the workload patch. Both expressions are opt-in:
`config.kubernetes.io/depends-on` (kpt live, Config Sync) and Argo CD sync
waves (a wave waits for the previous one to be healthy).
"""

from .. import conventions as C
from . import names

# Proxy objects first; the agent policy after the proxy is healthy; the
# workload (wave 0, untouched) last.
PROXY_WAVE = "-2"
AGENT_POLICY_WAVE = "-1"


def _ref(group, namespace, kind, name):
    return f"{group}/namespaces/{namespace}/{kind}/{name}"


def annotations(agent, role, settings):
    """The ordering annotations of the object of `role` for `agent`."""
    out = {}
    if settings.rollout.argo_sync_waves:
        out[C.SYNC_WAVE] = AGENT_POLICY_WAVE if role == C.Role.AGENT_POLICY else PROXY_WAVE
    if settings.rollout.depends_on and agent.namespace:
        ns = agent.proxy_namespace
        if role == C.Role.PROXY:
            out[C.DEPENDS_ON] = _ref("", ns, "ConfigMap", agent.proxy)
        elif role == C.Role.AGENT_POLICY:
            out[C.DEPENDS_ON] = ",".join([
                _ref("apps", ns, "Deployment", agent.proxy),
                _ref("", ns, "Service", agent.proxy),
            ])
    return out


def workload_depends_on(data, agent):
    """The workload waits for its agent NetworkPolicy (which waits for the proxy)."""
    if not agent.namespace:
        return
    meta = data.setdefault("metadata", {})
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    meta["annotations"] = annotations
    wanted = _ref("networking.k8s.io", agent.namespace, "NetworkPolicy", names.agent_policy_name(agent.proxy))
    current = [v.strip() for v in str(annotations.get(C.DEPENDS_ON, "")).split(",") if v.strip()]
    if wanted not in current:
        annotations[C.DEPENDS_ON] = ",".join([*current, wanted])
