"""`existingPolicies: tighten` never widens: for every pod, what the
rewritten policy allows is allowed by the original. Checked over random
policies by brute force (the oracle of test_reachability, written from the
documented semantics), and `narrows`, the model's check each rewrite must
pass, is checked against the same brute force."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from test_reachability import ALL_REQUESTS, FIXED_UNIVERSE, GRID, POLICY_SPECS, o_allowing, o_rules, policy

from pipelock_companion.verify import tighten
from pipelock_companion.verify.netpol import EGRESS, INGRESS, Pod

PODS = [p for p in FIXED_UNIVERSE if isinstance(p, Pod)]
PEERS = FIXED_UNIVERSE[::3]  # a third of the universe as the other end: every kind of endpoint occurs


def allowed(policies, pod, direction, peer, port, protocol):
    rules = o_rules(policies, pod, direction)
    return rules is None or bool(o_allowing(rules, pod, direction, peer, port, protocol))


def widened(before, after, others):
    """A (pod, direction, peer, port, protocol) allowed with `after` and not with `before`, or None."""
    for pod in PODS:
        for direction in (EGRESS, INGRESS):
            for peer in PEERS:
                for port, protocol in ALL_REQUESTS[::2]:
                    if allowed([after, *others], pod, direction, peer, port, protocol) and \
                            not allowed([before, *others], pod, direction, peer, port, protocol):
                        return pod, direction, peer, port, protocol
    return None


@settings(max_examples=60, deadline=None)
@given(POLICY_SPECS, st.lists(POLICY_SPECS, max_size=1))
def test_a_rewrite_never_widens(spec, other_specs):
    before = policy("user", spec)
    others = [policy(f"other{i}", s) for i, s in enumerate(other_specs)]
    rewrite = tighten.tightened(before)
    if rewrite is None:
        return
    after, _, _ = rewrite
    assert tighten.narrows(before, after) is None
    assert widened(before, after, others) is None


def test_a_namespace_lockdown_keeps_its_egress_isolation():
    """The issue's case: podSelector {}, egress to one partner range, no
    policyTypes. Dropping the rule without writing the types would make it
    Ingress-only, and every pod of the namespace would gain all egress."""
    before = policy("lockdown", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}]})
    after, removed, written = tighten.tightened(before)
    assert (removed, written, after["spec"]["egress"]) == ([0], ["Ingress", "Egress"], [])
    assert widened(before, after, []) is None
    naive = copy.deepcopy(after)
    del naive["spec"]["policyTypes"]
    assert tighten.narrows(before, naive) is not None
    pod, direction, *_ = widened(before, naive, [])
    assert direction == EGRESS and pod in GRID + PODS


MUTATIONS = st.sampled_from(["drop-types", "add-rule", "swap-selector", "drop-rule", "types-ingress", "none"])


@settings(max_examples=120, deadline=None)
@given(POLICY_SPECS, MUTATIONS, POLICY_SPECS)
def test_narrows_is_sound(spec, mutation, donor):
    """Whenever the model's check lets a rewrite through, brute force finds
    no flow it widens."""
    before = policy("user", spec)
    after = copy.deepcopy(before)
    after_spec = after["spec"]
    if mutation == "drop-types":
        after_spec.pop("policyTypes", None)
    elif mutation == "add-rule":
        after_spec["egress"] = (after_spec.get("egress") or []) + (donor.get("egress") or [{}])[:1]
    elif mutation == "swap-selector":
        after_spec["podSelector"] = donor["podSelector"]
    elif mutation == "drop-rule" and after_spec.get("egress"):
        after_spec["egress"] = after_spec["egress"][1:]
    elif mutation == "types-ingress":
        after_spec["policyTypes"] = ["Ingress"]
    if tighten.narrows(before, after) is None:
        assert widened(before, after, []) is None, (mutation, before, after)
