"""Every object that can open a network path, compiled to one vocabulary.

Kubernetes NetworkPolicies are read by `netpol`. The other kinds are read
here for what they can *open* for a pod our NetworkPolicies isolate: their
allow rules, as `netpol.Rule`s of a `netpol.Policy` that does not isolate.
Deny rules only close paths and are left out (the analysis may then see a
path the cluster drops, never the other way round).

| group / kind | read as |
|---|---|
| networking.k8s.io NetworkPolicy | netpol |
| (crd.)projectcalico.org NetworkPolicy, GlobalNetworkPolicy | calico |
| cilium.io CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy | cilium |
| policy.networking.k8s.io AdminNetworkPolicy, ClusterNetworkPolicy (tier Admin) | admin |
| BaselineAdminNetworkPolicy, ClusterNetworkPolicy tier Baseline | never open what a NetworkPolicy closes |
| Calico Staged* policies | not enforced: skipped |
| any other *NetworkPolicy kind, EgressFirewall | not read: may select any pod of its namespace |

What a compiler cannot read soundly (a name to resolve, a node address, a
construct of an unknown kind) is a *refusal*: (field, reason) per
direction, on a Policy that may select the pods it may select. The caller
reports each refusal whose policy may select a guarded pod.
"""

from . import netpol

NETWORKING = "networking.k8s.io"
# The module whose compile_policy(data, kind, position, problems, context)
# -> [Policy] reads each kind. Imported when a package has such a policy:
# most have none, and every run would pay for their code at start.
_COMPILERS: dict[tuple[str, str], str] = {
    ("projectcalico.org", "NetworkPolicy"): "calico",
    ("projectcalico.org", "GlobalNetworkPolicy"): "calico",
    ("crd.projectcalico.org", "NetworkPolicy"): "calico",
    ("crd.projectcalico.org", "GlobalNetworkPolicy"): "calico",
    ("cilium.io", "CiliumNetworkPolicy"): "cilium",
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): "cilium",
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): "admin",
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"): "admin",
}
# Kinds that cannot open a direction a NetworkPolicy isolates (they are
# consulted only for traffic no NetworkPolicy decides), or are not enforced.
_CANNOT_OPEN = {
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    ("projectcalico.org", "StagedNetworkPolicy"), ("projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("projectcalico.org", "StagedKubernetesNetworkPolicy"),
    ("crd.projectcalico.org", "StagedNetworkPolicy"), ("crd.projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("crd.projectcalico.org", "StagedKubernetesNetworkPolicy"),
}
_CONTEXT = {("projectcalico.org", "Tier"), ("crd.projectcalico.org", "Tier"),
            ("projectcalico.org", "NetworkSet"), ("crd.projectcalico.org", "NetworkSet"),
            ("projectcalico.org", "GlobalNetworkSet"), ("crd.projectcalico.org", "GlobalNetworkSet")}


def is_policy(item):
    """Whether the item is a policy object the analysis must read (or refuse)."""
    if not item.is_mapping or not isinstance(item.kind, str):
        return False
    key = (item.group, item.kind)
    if key == (NETWORKING, "NetworkPolicy") or key in _COMPILERS:
        return True
    return key not in _CANNOT_OPEN and key not in _CONTEXT and _looks_like_policy(item.kind)


def _looks_like_policy(kind):
    return kind.endswith("NetworkPolicy") or kind == "EgressFirewall"


def is_context(item):
    """Whether the item is something policies refer to (Calico Tiers, NetworkSets)."""
    return item.is_mapping and (item.group, item.kind) in _CONTEXT


def compile_items(items, context_items=()):
    """(policies, problems) for the policy items, each Policy's position
    being its index in `items` (a list of items for which is_policy holds)."""
    context = None
    policies: list = []
    problems: list = []
    for position, item in enumerate(items):
        key = (item.group, item.kind)
        if key == (NETWORKING, "NetworkPolicy"):
            compiled = netpol.compile_policy(item.data, position, problems)
            if compiled is not None:
                policies.append(compiled)
            continue
        data = item.data if isinstance(item.data, dict) else {}
        reader = _COMPILERS.get(key)
        if reader is None:
            policies.append(unknown_kind(item, position))
            continue
        if context is None:
            context = _reader("calico").Context(context_items)
        policies += _reader(reader).compile_policy(data, item.kind, position, problems, context)
    return policies, problems


def _reader(name):
    """The module that reads a policy kind (fn/verify/<name>.py). The builtin
    `__import__`, not importlib's wrapper: importing importlib costs more
    than the module it would import."""
    return __import__(f"{__package__}.{name}", fromlist=["compile_policy"])


def unknown_kind(item, position):
    """A policy kind the analysis does not read: it may select any pod of
    its namespace (any pod at all when it has none), in both directions."""
    from .kinds_common import Builder  # here: only a package with such a kind needs it

    builder = Builder(item.kind, item.namespace, item.name or f"#{position}", position, [])
    reason = (f"{item.api_version} {item.kind} is a policy kind the analysis does not read, so it cannot tell "
              "which pods it selects or what it allows")
    return builder.unreadable("kind", reason)
