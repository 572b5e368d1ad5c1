"""The boundary check the function runs after generating (and `verify` runs
alone): the reachability analysis over every NetworkPolicy in the package,
turned into results about the policy that leaks.

Severity: a path out of the lockdown — the agent to an address outside the
cluster, anything else into the proxy, the proxy into metadata or private
ranges, a pod left without isolation — is an error. A user rule that lets
the agent reach an in-cluster pod it was not configured for is a warning:
it is not an internet path, but it is direct traffic with no NO_PROXY
entry, so HTTP clients send it to the proxy, which refuses in-cluster
addresses.
"""

from .. import conventions as C
from ..krm import results as R
from ..topology import names
from . import netpol, reachability


def _policies(items):
    return [i for i in items if i.kind == "NetworkPolicy" and i.is_mapping and i.group == "networking.k8s.io"]


def _namespaces(items):
    return {i.name: {k: str(v) for k, v in i.labels.items()} for i in items
            if i.kind == "Namespace" and i.api_version == "v1" and i.name}


def _permits(agent):
    namespace = agent.namespace or "default"
    out = []
    for destination in agent.destinations:
        if destination.cidrs:
            out.append(reachability.Permit.cidrs(destination.cidrs, destination.ports))
        else:
            out.append(reachability.Permit.pods(destination.namespace or namespace, destination.pod_labels,
                                                destination.ports))
    return out


def verify(items, agents, settings):
    """Results for every leak of every agent's boundary, and for every
    policy the analysis could not read."""
    if not agents:
        return []
    policy_items = _policies(items)
    by_key = {f"{i.namespace or 'default'}/{i.name}": i for i in policy_items}
    policies = netpol.PolicySet([i.data for i in policy_items])
    results = [_problem(p, by_key) for p in policies.problems]
    namespaces = _namespaces(items)
    dns = settings.dns
    dns_spec = (dns.namespace, dns.pod_labels)
    # Cloud metadata stays forbidden to the proxy whatever spec.proxyEgress.denyCIDRs says.
    forbidden = list(dict.fromkeys(C.METADATA_CIDRS + tuple(settings.proxy_egress.deny_cidrs)))
    for agent in agents:
        namespace = agent.namespace or "default"
        proxy_labels = names.proxy_labels(agent.proxy)
        # The agent's own pod carries all its template labels; but every pod
        # the workload's selector picks is an agent pod, so those may reach
        # the proxy (the proxy policy admits exactly them).
        admitted = (agent.selector or {}).get("matchLabels") or agent.pod_labels
        violations = (
            reachability.agent_egress(policies, namespace, agent.pod_labels, proxy_labels, dns=dns_spec,
                                      dns_cidrs=dns.cidrs, permits=_permits(agent), namespaces=namespaces,
                                      dns_ports=dns.ports)
            + reachability.proxy_ingress(policies, namespace, admitted, proxy_labels, namespaces=namespaces)
            + reachability.proxy_egress(policies, namespace, proxy_labels, dns=dns_spec, dns_cidrs=dns.cidrs,
                                        forbidden=forbidden, namespaces=namespaces, dns_ports=dns.ports))
        results += [_result(v, agent, by_key) for v in _first_per_rule(violations)]
        results += _no_proxy_without_route(agent, settings)
    return results


def _problem(problem, by_key):
    """A policy (part) the API server would reject: it protects nothing."""
    item = by_key.get(problem.policy)
    return R.Result(f"{problem}", R.WARNING,
                    item.ref() if item else None, R.field(problem.field) if problem.field else None,
                    item.file() if item else None)


def _first_per_rule(violations):
    """One result per leaking rule (and check): the first concrete witness."""
    seen, out = set(), []
    for v in violations:
        key = (v.check, v.policy, v.field)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _result(violation, agent, by_key):
    item = by_key.get(violation.policy) if violation.policy else None
    in_cluster = isinstance(violation.peer, netpol.Pod)
    warning = violation.check == reachability.AGENT_EGRESS and violation.kind == reachability.LEAK and in_cluster
    ours = item is not None and item.labels.get(C.MANAGED_BY_LABEL) == C.MANAGED_BY
    hint = ""
    if warning:
        hint = (" Declare it in spec.destinations (it then gets NO_PROXY entries) or remove the rule if the agent "
                "does not need it.")
    elif item is not None and not ours and violation.check == reachability.AGENT_EGRESS:
        hint = " Remove that rule, or set spec.existingPolicies: tighten to remove its internet egress."
    message = f"{agent.kind} {agent.name}: {violation.message}.{hint}"
    ref, file = (item.ref(), item.file()) if item is not None else agent.workload_ref()
    field = R.field(violation.field) if violation.field else None
    return R.Result(message, R.WARNING if warning else R.ERROR, ref, field, file)


def _no_proxy_without_route(agent, settings):
    """A NO_PROXY entry sends the agent's calls direct; without an allow rule
    for it they are dropped."""
    return [R.Result(
        f"NO_PROXY entry {entry!r} makes {agent.kind} {agent.name} connect to it directly, but its "
        "NetworkPolicy allows no direct path there, so those calls fail. Declare it in spec.destinations "
        "(in-cluster) or remove it (external hosts go through the proxy)",
        R.WARNING, agent.workload_ref()[0], R.field("spec.noProxy", entry))
        for entry in settings.no_proxy if entry not in agent.direct_hosts]
