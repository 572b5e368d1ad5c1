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
from .krm.item import LOCAL_CONFIG
from .settings import checks
from .topology import names
from .topology.agent import Agent

SUPPORTED = ", ".join(workloads.WORKLOAD_KINDS)


def _inject(item):
    return str(item.annotations.get(C.INJECT, "")).strip().lower()


def _named(settings, item):
    """The spec.workloads entry naming this item, or None."""
    return settings.workload_named(item.kind, item.name, item.namespace)


def select(items, settings):
    """(selected workload items, results), in input order.

    Every object of a workload kind that the selection matches is a
    workload, whatever labels it wears: our own proxy Deployments are known
    by what a workload cannot claim by accident — the kind and name a
    companion of an agent in the input has — and only then skipped."""
    candidates, results = [], []
    for item in items:
        if not item.is_mapping or item.generated:
            continue
        inject = _inject(item)
        if not workloads.is_workload(item):
            if inject == "true" and not item.is_local_config():
                results.append(R.Result(
                    f"{item.kind} is not a supported workload kind (supported: {SUPPORTED}); "
                    f"{C.INJECT} has no effect on it",
                    R.ERROR, item.ref(), R.field(f"metadata.annotations[{C.INJECT}]", "true"), item.file()))
            continue
        if _wanted(item, settings, inject):
            candidates.append(item)
    owners = _companion_owners(candidates + [i for i in items if _is_managed(i)], settings)
    selected = []
    for item in candidates:
        owner = owners.get(_deployment_key(item))
        if owner is not None and owner is not item and _wears_our_labels(item):
            continue  # the companion proxy of an agent in the input
        if _wears_our_labels(item):
            results.append(R.Result(
                f"{item.kind} {item.name} wears the labels of a {C.MANAGED_BY} companion, but no agent workload "
                "in the input owns it: it is treated as a workload and locked down like one", R.WARNING,
                item.ref(), R.field(f"metadata.labels[{C.MANAGED_BY_LABEL}]", C.MANAGED_BY), item.file()))
        if item.is_local_config():
            results.append(R.Result(
                f"{item.kind} {item.name} is marked {LOCAL_CONFIG}: kpt and kustomize leave it out of what they "
                "deploy, but `kubectl apply -f` deploys it all the same; it is patched like any selected workload",
                R.WARNING, item.ref(), R.field(f"metadata.annotations[{LOCAL_CONFIG}]"), item.file()))
        selected.append(item)
    return selected, results


def _wanted(item, settings, inject):
    """Whether the selection asks for this workload (before ownership)."""
    if inject == "false":
        return False
    if _named(settings, item) is None:
        if settings.has_selector:
            if not selector.matches(settings.selector, item):
                return False
        elif inject != "true":
            return False
    return selector.is_empty(settings.exclude) or not selector.matches(settings.exclude, item)


def _is_managed(item):
    """A workload a previous run patched."""
    return item.is_mapping and workloads.is_workload(item) and item.annotations.get(C.TOPOLOGY) == C.TOPOLOGY_VALUE


def _wears_our_labels(item):
    return item.labels.get(C.MANAGED_BY_LABEL) == C.MANAGED_BY


def _deployment_key(item):
    if item.kind != "Deployment" or item.group != "apps":
        return None
    return (item.namespace or "default", item.name)


def _companion_owners(agents, settings):
    """{(namespace, name) of a companion proxy Deployment: its agent item}."""
    owners: dict = {}
    for item in agents:
        try:
            proxy = proxy_name(item, _named(settings, item))
        except names.InvalidNameError:
            continue  # planning the agent reports it
        owners.setdefault((item.namespace or "default", proxy), item)
    return owners


def proxy_name(item, ref):
    """The companion's name for a workload item: its pipelock.dev/proxy-name
    annotation, the spec.workloads entry's proxyName, or <name>-pipelock."""
    explicit = item.annotations.get(C.PROXY_NAME)
    if explicit is not None:
        return names.dns_label(str(explicit), f"annotation {C.PROXY_NAME}")
    if ref is not None and ref.proxy_name:
        return ref.proxy_name
    return names.dns_label(str(item.name), "workload name", "-pipelock")


def unmatched(selected, items, settings):
    """Errors for a selection that matches nothing, and for spec.workloads
    entries missing from an input that has resources (a kustomize generator
    sees none, and generates their companions). Fail closed: a typo in a
    name or label must not ship an unpatched agent with exit 0."""
    if settings.source is None or settings.allow_empty_match:
        return []
    out = []
    # A generator sees no resources (at most the companions it made before).
    has_resources = any(i.is_mapping and not i.generated and not i.is_local_config() and not _wears_our_labels(i)
                        for i in items)
    if has_resources:
        present = {(i.kind, i.name, i.namespace) for i in selected}
        for index, ref in enumerate(settings.workloads):
            if (ref.kind, ref.name, ref.namespace) not in present:
                out.append(R.Result(
                    f"spec.workloads[{index}] names {ref.kind} {ref.name}"
                    f"{' in namespace ' + ref.namespace if ref.namespace else ''}, which is not in the input: "
                    "no workload of that kind, name and namespace was patched. Fix the entry, or set "
                    "spec.allowEmptyMatch: true where the workload comes from elsewhere",
                    R.ERROR, settings.ref, R.field(f"spec.workloads[{index}]", ref.name)))
    if not selected and (has_resources or not settings.workloads):
        how = "spec.selector" if settings.has_selector else f'the annotation {C.INJECT}: "true"'
        out.append(R.Result(
            f"no workload in the input is selected (selection by {how}), so no agent is locked down. Check the "
            "selector for a typo, or set spec.allowEmptyMatch: true in a pipeline that may have no agents",
            R.ERROR, settings.ref, R.field("spec.selector" if settings.has_selector else "spec")))
    return out


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
        proxy = proxy_name(item, ref)
    except names.InvalidNameError as err:
        path = f"metadata.annotations[{C.PROXY_NAME}]" if explicit is not None else "metadata.name"
        return problem(f"{err}; set {C.PROXY_NAME} to a name that starts with a letter", path,
                       str(explicit) if explicit is not None else item.name)
    annotated = item.annotations.get(C.AGENT_IDENTITY)
    if annotated is not None:
        why = checks.identity_problem(str(annotated))
        if why:
            return problem(f"{kind} {item.name}: annotation {C.AGENT_IDENTITY} {why}: set an identity, or remove "
                           f"the annotation for the default {kind.lower()}/{item.name}",
                           f"metadata.annotations[{C.AGENT_IDENTITY}]", str(annotated))
    identity = annotated or (ref.agent_identity if ref is not None else None)
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
        if not _is_managed(item):
            continue
        agent, problems = _agent_for_item(item, settings, 1)
        results += problems
        if agent is not None:
            agents.append(agent)
    return agents, results


def not_managed(items, agents, settings):
    """Errors for verify: each workload the selection asks for that no run
    has patched, and a package with no managed agent at all."""
    selected, _ = select(items, settings)
    out = [R.Result(
        f"{item.kind} {item.name} is selected ({'spec.selector' if settings.has_selector else C.INJECT}) but not "
        f"managed: it runs without its companion and lockdown. Run the function over it (not in verify mode)",
        R.ERROR, item.ref(), R.field(f"metadata.annotations[{C.TOPOLOGY}]", None, C.TOPOLOGY_VALUE), item.file())
        for item in selected if not _is_managed(item)]
    if not agents and not out and not settings.allow_empty_match:
        out.append(R.Result(
            "no managed agent workload in the input: there is nothing whose boundary could be verified. Verify "
            "the output of the function, or set spec.allowEmptyMatch: true in a pipeline that may have no agents",
            R.ERROR, settings.ref))
    return out
