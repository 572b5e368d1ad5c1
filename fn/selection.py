"""Which workloads the function manages, and the plan for each.

Selection: with spec.selector, the workloads it matches; without one, the
workloads annotated `pipelock.dev/inject: "true"` (opt-in per workload, as
service meshes do). `pipelock.dev/inject: "false"` and spec.exclude always
win. spec.workloads names workloads explicitly (kustomize generators).
"""

from . import conventions as C
from . import workloads
from .krm import results as R
from .krm import selector
from .topology import names
from .topology.agent import Agent

SUPPORTED = ", ".join(workloads.WORKLOAD_KINDS)


def _inject(item):
    return str(item.annotations.get(C.INJECT, "")).strip().lower()


def _named(settings, item):
    """The spec.workloads entry naming this item, or None."""
    for ref in settings.workloads:
        if ref.kind == item.kind and ref.name == item.name and (ref.namespace or None) == item.namespace:
            return ref
    return None


def select(items, settings):
    """(selected workload items, results), in input order."""
    selected, results = [], []
    for item in items:
        if not item.is_mapping or item.generated or item.is_local_config():
            continue
        if item.labels.get(C.MANAGED_BY_LABEL) == C.MANAGED_BY:
            continue  # our own proxy Deployment is never an agent, whatever the selector says
        inject = _inject(item)
        if not workloads.is_workload(item):
            if inject == "true":
                results.append(R.Result(
                    f"{item.kind} is not a supported workload kind (supported: {SUPPORTED}); "
                    f"{C.INJECT} has no effect on it",
                    R.ERROR, item.ref(), R.field(f"metadata.annotations[{C.INJECT}]", "true"), item.file()))
            continue
        if inject == "false":
            continue
        if _named(settings, item) is None:
            if settings.has_selector:
                if not selector.matches(settings.selector, item):
                    continue
            elif inject != "true":
                continue
        if not selector.is_empty(settings.exclude) and selector.matches(settings.exclude, item):
            continue
        selected.append(item)
    return selected, results


def plan(selected, settings):
    """(agents, results): one Agent per selected workload, plus one per
    spec.workloads entry not in the input (generator runs)."""
    agents, results = [], []
    unmatched = _unmatched(selected, settings)
    total = len(selected) + len(unmatched)
    for item in selected:
        agent, problems = _agent_for_item(item, settings, total)
        results += problems
        if agent is not None:
            agents.append(agent)
    for ref in unmatched:
        agent, problems = _agent_for_ref(ref, settings)
        results += problems
        if agent is not None:
            agents.append(agent)
    results += _one_companion_each(agents)
    results += _proxy_namespace_needs_namespaces(agents, settings)
    return agents, results


def _proxy_namespace_needs_namespaces(agents, settings):
    """In a namespace of their own, the companions admit the agent by its
    namespace: a workload without one cannot be pinned."""
    if not settings.proxy_namespace:
        return []
    return [R.Result(
        f"{agent.kind} {agent.name} has no namespace, but spec.proxyNamespace puts its proxy in namespace "
        f"{settings.proxy_namespace}, whose policy must admit the agent by its namespace. Give the workload a "
        "namespace, or drop spec.proxyNamespace", R.ERROR, agent.workload_ref()[0],
        R.field("metadata.namespace"), agent.workload_ref()[1]) for agent in agents if not agent.namespace]


def _unmatched(selected, settings):
    present = {(i.kind, i.name, i.namespace) for i in selected}
    return [r for r in settings.workloads if (r.kind, r.name, r.namespace or None) not in present]


def _agent_for_item(item, settings, total):
    def problem(message, path, current=None):
        return None, [R.Result(message, R.ERROR, item.ref(), R.field(path, current), item.file())]

    if item.name is None:
        return problem(f"{item.kind} has no metadata.name (a string): a workload needs a name to name its companion",
                       "metadata.name")
    data = item.data
    kind = item.kind
    template = workloads.template_path_text(kind)
    if workloads.pod_template(data, kind) is None:
        return problem(f"{kind} has no pod template at {template}", template)
    agent_selector = workloads.agent_selector(data, kind)
    template_meta = workloads.pod_template(data, kind).get("metadata")
    if template_meta is not None and not isinstance(template_meta, dict):
        return problem(f"{kind} {item.name}: {template}.metadata is not a mapping, so its pods have no labels to "
                       f"select them by. Add labels at {template}.metadata.labels", f"{template}.metadata")
    if (workloads.pod_spec(data, kind) or {}).get("hostNetwork") is True:
        return problem(
            f"{kind} {item.name} runs on the host network ({template}.spec.hostNetwork: true): its pods share the "
            "node's network namespace, where NetworkPolicy does not apply on most CNIs (Kubernetes leaves it "
            "undefined; Calico and Cilium police host-networked pods only with host policies), so nothing would "
            "keep it behind its proxy. Remove hostNetwork, or exclude the workload", f"{template}.spec.hostNetwork",
            "true")
    if agent_selector is None or not workloads.pod_labels(data, kind):
        return problem(
            f"{kind} {item.name} has no pod labels: its NetworkPolicy would need an empty pod selector, which selects "
            f"every pod in the namespace. Add labels at {template}.metadata.labels", f"{template}.metadata.labels")
    explicit = item.annotations.get(C.PROXY_NAME)
    ref = _named(settings, item)
    try:
        if explicit is not None:
            proxy = names.dns_label(str(explicit), f"annotation {C.PROXY_NAME}")
        elif ref is not None and ref.proxy_name:
            proxy = ref.proxy_name
        else:
            proxy = names.dns_label(item.name, "workload name", "-pipelock")
    except names.InvalidNameError as err:
        path = f"metadata.annotations[{C.PROXY_NAME}]" if explicit is not None else "metadata.name"
        return problem(f"{err}; set {C.PROXY_NAME} to a name that starts with a letter", path,
                       str(explicit) if explicit is not None else item.name)
    identity = item.annotations.get(C.AGENT_IDENTITY) or (ref.agent_identity if ref is not None else None)
    if not identity and settings.agent_identity:
        if total > 1:
            return None, [R.Result(
                f"spec.agentIdentity binds one identity, but {total} workloads are selected: each companion binds "
                f"one workload identity. Set {C.AGENT_IDENTITY} on each workload instead",
                R.ERROR, field=R.field("spec.agentIdentity", settings.agent_identity))]
        identity = settings.agent_identity
    identity = identity or f"{kind.lower()}/{item.name}"
    return Agent(item=item, kind=kind, api_version=item.api_version, name=item.name, namespace=item.namespace,
                 proxy=proxy, identity=str(identity), selector=agent_selector,
                 pod_labels=workloads.pod_labels(data, kind), settings=settings), []


def _agent_for_ref(ref, settings):
    kind = ref.kind
    try:
        proxy = ref.proxy_name or names.dns_label(ref.name, "workload name", "-pipelock")
    except names.InvalidNameError as err:
        return None, [R.Result(str(err), R.ERROR, field=R.field("spec.workloads", ref.name))]
    identity = ref.agent_identity or f"{kind.lower()}/{ref.name}"
    labels = dict(ref.pod_labels)
    return Agent(item=None, kind=kind, api_version=workloads.api_version(kind), name=ref.name,
                 namespace=ref.namespace, proxy=proxy, identity=identity, selector={"matchLabels": labels},
                 pod_labels=labels, settings=settings), []


def _one_companion_each(agents):
    """Two workloads bound to one companion would share one identity: refuse."""
    results = []
    owners: dict = {}
    for agent in agents:
        key = (agent.proxy_namespace or "default", agent.proxy)
        other = owners.get(key)
        if other is None:
            owners[key] = agent
            continue
        results.append(R.Result(
            f"{agent.kind} {agent.name} and {other.kind} {other.name} would share the companion proxy {agent.proxy!r}; "
            "a companion binds exactly one workload identity. Give each workload its own "
            f"{C.PROXY_NAME} (or remove the annotation to get <workload>-pipelock)",
            R.ERROR, agent.workload_ref()[0], R.field(f"metadata.annotations[{C.PROXY_NAME}]", agent.proxy),
            agent.workload_ref()[1]))
    return results


def managed_agents(items, settings):
    """Agents for workloads a previous run patched (verify mode)."""
    agents, results = [], []
    for item in items:
        if not item.is_mapping or not workloads.is_workload(item):
            continue
        if item.annotations.get(C.TOPOLOGY) != C.TOPOLOGY_VALUE:
            continue
        agent, problems = _agent_for_item(item, settings, 1)
        results += problems
        if agent is not None:
            agents.append(agent)
    return agents, results
