"""The companion objects of one agent, in the order they are written."""

from . import agent_policy, configmap, deployment, disruption_budget, proxy_policy, rollout, service

# Each builder: ROLE, and build(agent, settings) -> the object as data.
BUILDERS = (configmap, proxy_policy, deployment, service, disruption_budget, agent_policy)


def build(agent, settings):
    """[(role, object)] for one agent, ordering annotations included."""
    out = []
    for builder in BUILDERS:
        obj = builder.build(agent, settings)
        ordering = rollout.annotations(agent, builder.ROLE, settings)
        if ordering:
            obj["metadata"]["annotations"] = ordering
        out.append((builder.ROLE, obj))
    return out
