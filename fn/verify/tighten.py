"""The user's own NetworkPolicies that select an agent (field report, step 5).

NetworkPolicies are additive: a policy of the user's that lets the agent
pods out voids the lockdown. Verification reports it as an error; with
`spec.existingPolicies: tighten` this module removes its internet-egress
rules (rules with no `to`, or with an ipBlock peer) and keeps the rest, as
the field report's migration did, and reports each change.
"""

import copy

from .. import conventions as C
from ..krm import results as R
from . import netpol


def selects_for_egress(policy, namespace, pod_labels):
    """Whether a NetworkPolicy's egress part applies to pods with these labels
    (Kubernetes semantics, as the boundary analysis reads them)."""
    compiled = netpol.compile_policy(policy, 0, [])
    return compiled is not None and compiled.selects(netpol.Pod(namespace, pod_labels), netpol.EGRESS)


def is_internet_rule(rule):
    peers = rule.get("to") if isinstance(rule, dict) else None
    return not peers or any(isinstance(p, dict) and "ipBlock" in p for p in peers)


def user_policies(items):
    return [i for i in items
            if i.kind == "NetworkPolicy" and not i.generated and i.is_mapping
            and i.labels.get(C.MANAGED_BY_LABEL) != C.MANAGED_BY]


def tighten(items, agents, settings):
    """Results for each rewrite; the items are updated in place."""
    if settings.existing_policies != "tighten":
        return []
    results = []
    for item in user_policies(items):
        problems: list = []
        netpol.compile_policy(item.data, 0, problems)
        if problems:
            # The API server rejects it, so it opens nothing; a rewrite of a
            # shape it does not have could only guess.
            results.append(R.Result(
                f"NetworkPolicy {item.name} is left as it is (spec.existingPolicies: tighten): "
                f"{problems[0].field}: {problems[0].reason}", R.WARNING, item.ref(),
                R.field(problems[0].field), item.file()))
            continue
        for agent in agents:
            if selects_for_egress(item.data, agent.namespace or "default", agent.pod_labels):
                results += _tighten(item, agent)
    return results


def _tighten(item, agent):
    data = item.data
    rules = data["spec"].get("egress") or []
    removed = [i for i, rule in enumerate(rules) if is_internet_rule(rule)]
    if not removed:
        return []
    new = copy.deepcopy(data)
    new["spec"]["egress"] = [rule for i, rule in enumerate(rules) if i not in removed]
    out = [R.Result(
        f"removed internet-egress rule(s) {', '.join(f'spec.egress[{i}]' for i in removed)} from NetworkPolicy "
        f"{item.name}: it selects the pods of {agent.kind} {agent.name}, and would let them bypass the proxy "
        f"(spec.existingPolicies: tighten); its other rules are kept",
        R.WARNING, item.ref(), R.field("spec.egress"), item.file())]
    if not (data["spec"].get("podSelector") or {}):
        out.append(R.Result(
            f"NetworkPolicy {item.name} selects every pod in its namespace: removing its internet egress affects "
            "the other pods there too. Narrow its podSelector if they need the internet",
            R.WARNING, item.ref(), R.field("spec.podSelector"), item.file()))
    return out + R.updated(item, new)
