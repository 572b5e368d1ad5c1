"""The user's own NetworkPolicies that select an agent (field report, step 5).

NetworkPolicies are additive: a policy of the user's that lets the agent
pods out voids the lockdown. Verification reports it as an error; with
`spec.existingPolicies: tighten` this module removes its internet-egress
rules (rules with no `to`, or with an ipBlock peer) and keeps the rest, as
the field report's migration did, and reports each change.

A rewrite never widens anything: it writes the policyTypes the API server
had defaulted (removing the last egress rule of a policy without
policyTypes would otherwise turn it into an Ingress-only policy, and give
every pod it selects unrestricted egress), and each rewrite is checked
with the model (`narrows`) before it is made.
"""

import copy

from .. import conventions as C
from ..krm import results as R
from . import netpol
from .guarded import runtime_keys
from .netpol import EGRESS, INGRESS


def is_internet_rule(rule):
    peers = rule.get("to") if isinstance(rule, dict) else None
    return not peers or any(isinstance(p, dict) and "ipBlock" in p for p in peers)


def user_policies(items):
    return [i for i in items
            if i.kind == "NetworkPolicy" and i.group == "networking.k8s.io" and not i.generated and i.is_mapping
            and i.labels.get(C.MANAGED_BY_LABEL) != C.MANAGED_BY]


def tighten(items, agents, settings):
    """Results for each rewrite; the items are updated in place."""
    if settings.existing_policies != "tighten" or not agents:
        return []
    candidates = user_policies(items)
    problems: list = []
    compiled = [netpol.compile_policy(item.data, position, problems) for position, item in enumerate(candidates)]
    policies = netpol.PolicySet(compiled=[p for p in compiled if p is not None])
    selecting: dict = {}
    for agent in agents:
        pod = netpol.Pod(agent.namespace or "default", agent.pod_labels, unknown=runtime_keys(agent))
        for policy in policies.selecting(pod, EGRESS):
            selecting.setdefault(policy.position, []).append(agent)
    results = []
    for position in sorted(selecting):
        item = candidates[position]
        rejection = next((p for p in problems if p.position == position and p.rejects), None)
        if rejection is not None:
            # The API server rejects it, so it opens nothing; a rewrite of a
            # shape it does not have could only guess.
            results.append(R.Result(
                f"NetworkPolicy {item.name} is left as it is (spec.existingPolicies: tighten): "
                f"{rejection.field}: {rejection.reason}", R.WARNING, item.ref(), R.field(rejection.field),
                item.file()))
            continue
        results += _tighten(item, selecting[position])
    return results


def tightened(data):
    """(the policy without its internet-egress rules, their indexes, the
    policyTypes written out or None), or None when it has none."""
    spec = data.get("spec") or {}
    rules = spec.get("egress") or []
    removed = [i for i, rule in enumerate(rules) if is_internet_rule(rule)]
    if not removed:
        return None
    new = copy.deepcopy(data)
    new_spec = new.setdefault("spec", {})
    new_spec["egress"] = [rule for i, rule in enumerate(rules) if i not in removed]
    types = netpol.effective_types(spec)
    written = None
    if spec.get("policyTypes") != types:
        new_spec["policyTypes"] = written = types
    return new, removed, written


def _tighten(item, agents):
    data = item.data
    rewrite = tightened(data)
    if rewrite is None:
        return []
    new, removed, written = rewrite
    spec = data.get("spec") or {}
    agent = agents[0]
    others = f" (and of {len(agents) - 1} other agent(s))" if len(agents) > 1 else ""
    widening = narrows(data, new)
    if widening:
        return [R.Result(
            f"NetworkPolicy {item.name} selects the pods of {agent.kind} {agent.name}{others}, but removing its "
            f"internet-egress rules would widen what it allows ({widening}); left as it is. Remove those rules "
            "by hand", R.ERROR, item.ref(), R.field("spec.egress"), item.file())]
    out = [R.Result(
        f"removed internet-egress rule(s) {', '.join(f'spec.egress[{i}]' for i in removed)} from NetworkPolicy "
        f"{item.name}: it selects the pods of {agent.kind} {agent.name}{others}, and would let them bypass the "
        "proxy (spec.existingPolicies: tighten); its other rules are kept"
        + (f", and its policyTypes written out ({', '.join(written)}) so that it still isolates egress"
           if written else ""),
        R.WARNING, item.ref(), R.field("spec.egress"), item.file())]
    if not (spec.get("podSelector") or {}):
        out.append(R.Result(
            f"NetworkPolicy {item.name} selects every pod in its namespace: the other pods there lose its internet "
            "egress too (they stay isolated for egress). Narrow its podSelector if they need the internet",
            R.WARNING, item.ref(), R.field("spec.podSelector"), item.file()))
    return out + R.updated(item, new)


def narrows(before, after):
    """None when, for every pod and every flow, what `after` allows is
    allowed by `before`; else why not.

    By the model: the same pods are selected (same namespace and
    podSelector), each for the same directions once the API server's
    defaults are applied (so no pod gains or loses isolation), and every
    rule of `after` is a rule of `before` (so no selected pod gains a
    flow). Then for a pod `after` selects, each flow it allows was allowed
    by the same rule before; for a pod it does not select, nothing changed."""
    problems: list = []
    old, new = netpol.compile_policy(before, 0, problems), netpol.compile_policy(after, 0, problems)
    if old is None or new is None or old.rejected or new.rejected:
        return "the policy does not compile cleanly"
    if (old.namespace, (before.get("spec") or {}).get("podSelector")) != \
            (new.namespace, (after.get("spec") or {}).get("podSelector")):
        return "it would select other pods"
    if old.types != new.types:
        return f"its effective policyTypes would change from {sorted(old.types)} to {sorted(new.types)}"
    for direction, key in ((INGRESS, "ingress"), (EGRESS, "egress")):
        kept = list((before.get("spec") or {}).get(key) or [])
        extra = [r for r in (after.get("spec") or {}).get(key) or [] if r not in kept]
        if extra:
            return f"it would gain {direction.lower()} rule(s) it did not have"
    return None
