"""The boundary check the function runs after generating (and `verify` runs
alone): the reachability analysis over every policy object in the package,
turned into results about the policy that leaks.

The guarded pods, per agent, as the cluster will run them: the agent's
pods (its template labels, plus the labels its controller adds, values
unknown), the probe Job's pods when probes are generated, and the proxy
pods (the proxy Deployment's template labels plus pod-template-hash).

Every path out of the lockdown is an error: the agent (or its probe) to
anything but the cluster DNS, its own proxy pods and its declared
destinations, in the cluster or not; anything but the agent into the
proxy (the metrics port: only the declared scraper); the proxy into cloud
metadata, private ranges or cluster pods; a guarded pod that no policy
surely isolates; a policy the analysis cannot read that may select a
guarded pod (unless spec.unanalysedPolicies names it: then a warning); a
proxy Deployment on the host network.
"""

from .. import conventions as C
from .. import workloads
from ..krm import results as R
from ..topology import names
from . import kinds, netpol, reachability
from .guarded import runtime_keys
from .netpol import EGRESS, INGRESS

PROBE_EGRESS = "probe-egress"
_BOUND = {
    (reachability.AGENT_EGRESS, EGRESS): "out of the lockdown (to the internet, cloud metadata or any pod)",
    (PROBE_EGRESS, EGRESS): "out of the lockdown (to the internet, cloud metadata or any pod)",
    (reachability.PROXY_INGRESS, INGRESS): "into the proxy from pods other than the agent's",
    (reachability.PROXY_EGRESS, EGRESS): "from the proxy into cloud metadata, private ranges or cluster pods",
}


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


class _Proxy:
    """The proxy Deployment of an agent as the input has it (or as generated)."""

    __slots__ = ("item", "labels", "host_network")

    def __init__(self, item, agent):
        self.item = item
        template = workloads.pod_labels(item.data, "Deployment") if item is not None else {}
        self.labels = template or names.common_labels(agent.proxy)
        spec = workloads.pod_spec(item.data, "Deployment") if item is not None else None
        self.host_network = bool(spec and spec.get("hostNetwork") is True)


def verify(items, agents, settings):
    """Results for every leak of every agent's boundary, and for every
    policy the analysis could not read."""
    if not agents:
        return []
    policy_items = [i for i in items if kinds.is_policy(i)]
    compiled, problems = kinds.compile_items(policy_items, [i for i in items if kinds.is_context(i)])
    policies = netpol.PolicySet(compiled=compiled, problems=problems)
    results = [_problem(p, policy_items) for p in problems]
    known = reachability.known_namespaces(_namespaces(items))
    deployments = {(i.namespace or "default", i.name): i for i in items
                   if i.kind == "Deployment" and i.group == "apps" and i.is_mapping}
    dns = settings.dns
    dns_spec = (dns.namespace, dns.pod_labels)
    forbidden = list(dict.fromkeys(C.METADATA_CIDRS + tuple(settings.proxy_egress.deny_cidrs)))
    scraper = settings.metrics.scraper
    scraper_permit = None if scraper is None else reachability.Permit.pods(
        scraper.namespace, scraper.pod_labels, [{"protocol": "TCP", "port": C.METRICS_PORT}])
    refusals: dict = {}
    # Only these directions can have a refusal to report: asking which
    # policies select each guarded pod is the cost of the report, per agent.
    refusing = {direction for policy in compiled for direction, found in policy.refusals.items() if found}
    for agent in agents:
        namespace = agent.namespace or "default"
        proxy_namespace = agent.proxy_namespace or "default"
        proxy = _Proxy(deployments.get((proxy_namespace, agent.proxy)), agent)
        proxy_runtime = C.RUNTIME_LABELS["Deployment"]
        selector_labels = names.proxy_labels(agent.proxy)
        # The agent's own pod carries all its template labels; but every pod
        # the workload's selector picks is an agent pod, so those may reach
        # the proxy (the proxy policy admits exactly them).
        admitted = (agent.selector or {}).get("matchLabels") or agent.pod_labels
        guarded: list = [(reachability.AGENT_EGRESS, EGRESS, namespace, agent.pod_labels, (), runtime_keys(agent))]
        violations = reachability.agent_egress(
            policies, namespace, agent.pod_labels, selector_labels, dns=dns_spec, dns_cidrs=dns.cidrs,
            permits=_permits(agent), namespaces=known, proxy_namespace=proxy_namespace, unknown=guarded[0][5],
            dns_ports=dns.ports)
        if settings.probes.enabled:
            probe_labels = {**agent.pod_labels, C.PROBE_LABEL: "true"}
            guarded.append((PROBE_EGRESS, EGRESS, namespace, probe_labels, (), C.JOB_RUNTIME_LABELS))
            violations += reachability.agent_egress(
                policies, namespace, probe_labels, selector_labels, dns=dns_spec, dns_cidrs=dns.cidrs,
                permits=_permits(agent), namespaces=known, proxy_namespace=proxy_namespace,
                unknown=C.JOB_RUNTIME_LABELS, role="the probe pods", check=PROBE_EGRESS, dns_ports=dns.ports)
        ports = reachability.PROXY_CONTAINER_PORTS
        guarded += [(reachability.PROXY_INGRESS, INGRESS, proxy_namespace, proxy.labels, ports, proxy_runtime),
                    (reachability.PROXY_EGRESS, EGRESS, proxy_namespace, proxy.labels, ports, proxy_runtime)]
        violations += reachability.proxy_ingress(
            policies, proxy_namespace, admitted, proxy.labels, namespaces=known, agent_namespace=namespace,
            unknown=proxy_runtime, scraper=scraper_permit, shown_labels=selector_labels)
        violations += reachability.proxy_egress(
            policies, proxy_namespace, proxy.labels, dns=dns_spec, dns_cidrs=dns.cidrs, forbidden=forbidden,
            namespaces=known, unknown=proxy_runtime, shown_labels=selector_labels, dns_ports=dns.ports)
        results += [_result(v, agent, policy_items) for v in _first_per_rule(violations)]
        for check, direction, pod_namespace, labels, pod_ports, unknown in guarded:
            if direction not in refusing:
                continue
            pod = reachability.guarded_pod(pod_namespace, labels, pod_ports, known, unknown)
            for policy in policies.selecting(pod, direction):
                for field, reason in policy.refusals.get(direction, ()):
                    refusals.setdefault((policy.position, field), (policy, reason, check, direction, []))[4].append(
                        agent)
        if proxy.host_network:
            results.append(_host_network(proxy.item, agent))
        results += _no_proxy_without_route(agent, settings)
    results += [_refusal(policy, reason, check, direction, affected, field, policy_items, settings)
                for (_, field), (policy, reason, check, direction, affected) in refusals.items()]
    return results


def _problem(problem, policy_items):
    """A policy (part) the API server would reject (it protects nothing), or
    reads in a non-standard way."""
    item = policy_items[problem.position] if problem.position is not None else None
    message = f"{problem}"
    if problem.rejects:
        message += " (the API server refuses the whole object, so it isolates no pod)"
    return R.Result(message, R.WARNING, item.ref() if item else None,
                    R.field(problem.field) if problem.field else None, item.file() if item else None)


def _first_per_rule(violations):
    """One result per leaking rule (and check): the first concrete witness."""
    seen, out = set(), []
    for v in violations:
        key = (v.check, v.position, v.field)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _result(violation, agent, policy_items):
    item = policy_items[violation.position] if violation.position is not None else None
    in_cluster = isinstance(violation.peer, netpol.Pod)
    ours = item is not None and item.labels.get(C.MANAGED_BY_LABEL) == C.MANAGED_BY
    hint = ""
    if violation.check in (reachability.AGENT_EGRESS, PROBE_EGRESS) and item is not None and ours \
            and item.name != names.agent_policy_name(agent.proxy):
        hint = (" That is the agent policy of another workload, and its pod selector matches these pods too: they "
                "may use that workload's proxy, and the identity it binds. Give each workload pod labels the "
                "other's selector does not match.")
    elif violation.check in (reachability.AGENT_EGRESS, PROBE_EGRESS) and item is not None and not ours:
        if in_cluster:
            hint = (" Declare it in spec.destinations (it then gets NO_PROXY entries) or remove the rule: a pod the "
                    "agent reaches directly may itself reach anything.")
        elif item.kind == "NetworkPolicy":
            hint = " Remove that rule, or set spec.existingPolicies: tighten to remove its internet egress."
        else:
            hint = " Remove that rule."
    if violation.check == PROBE_EGRESS:
        hint += (" The probe Job's pods carry the agent's template labels and the Job's own "
                 f"({', '.join(C.JOB_RUNTIME_LABELS)}), not the agent's run-time ones.")
    message = f"{agent.kind} {agent.name}: {violation.message}.{hint}"
    ref, file = (item.ref(), item.file()) if item is not None else agent.workload_ref()
    field = R.field(violation.field) if violation.field else None
    return R.Result(message, R.ERROR, ref, field, file)


def _refusal(policy, reason, check, direction, agents, field, policy_items, settings):
    """A construct the analysis cannot read, in a policy that may select a guarded pod."""
    item = policy_items[policy.position]
    reviewed = any(ref.names(item.api_version, item.kind, item.name, item.namespace)
                   for ref in settings.unanalysed_policies)
    first = agents[0]
    others = len({id(a) for a in agents}) - 1
    whose = {reachability.AGENT_EGRESS: "the agent pods", PROBE_EGRESS: "the probe pods"}.get(check, "the proxy pods")
    message = (f"{policy.title} {field}: {reason}. The analysis cannot check what it allows, and it may select "
               f"{whose} of {first.kind} {first.name}" + (f" (and of {others} other agent(s))" if others else "")
               + f" for {direction.lower()}: it may open a path {_BOUND[(check, direction)]}.")
    if reviewed:
        message += " Reported as a warning: spec.unanalysedPolicies names it as checked by hand."
    else:
        message += (" Remove it, or name the object in spec.unanalysedPolicies once you have checked it by hand.")
    return R.Result(message, R.WARNING if reviewed else R.ERROR, item.ref(), R.field(field), item.file())


def _host_network(item, agent):
    return R.Result(
        f"Deployment {item.name}, the proxy of {agent.kind} {agent.name}, runs on the host network "
        "(spec.template.spec.hostNetwork: true): NetworkPolicy does not apply to it on most CNIs, so nothing keeps "
        "it from cloud metadata or the cluster. Remove hostNetwork", R.ERROR, item.ref(),
        R.field("spec.template.spec.hostNetwork", "true"), item.file())


def _no_proxy_without_route(agent, settings):
    """A NO_PROXY entry sends the agent's calls direct; without an allow rule
    for it they are dropped."""
    return [R.Result(
        f"NO_PROXY entry {entry!r} makes {agent.kind} {agent.name} connect to it directly, but its "
        "NetworkPolicy allows no direct path there, so those calls fail. Declare it in spec.destinations "
        "(in-cluster) or remove it (external hosts go through the proxy)",
        R.WARNING, agent.workload_ref()[0], R.field("spec.noProxy", entry))
        for entry in settings.no_proxy if entry not in agent.direct_hosts]
