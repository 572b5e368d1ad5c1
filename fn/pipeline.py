"""The function as steps: (items, settings) -> (items, results).

Each mode is a list of steps over one shared state. `generate` selects the
agent workloads, plans each one's companion, patches the workloads, adds
(or refreshes) the companion objects, tightens the user's policies when
asked, and verifies the boundary over every NetworkPolicy. `verify` only
checks the workloads a previous run patched. `probes` gives the live probe
objects of the agents, and nothing else. No I/O here.
"""

import os

from . import conventions as C
from . import selection
from .krm import item as item_mod
from .krm import resid, yamlio
from .krm import results as R
from .topology import canary, cluster_dns, companions, patch, pipelock_config, rollout
from .verify import boundary

GENERATE, VERIFY, PROBES = "generate", "verify", "probes"


class State:
    """What the steps share: the items (input first, generated after), the
    settings, the input format, the agents planned and the results so far.
    A step that finds the run cannot go on sets `halted`."""

    __slots__ = ("items", "settings", "fmt", "selected", "agents", "results", "halted")

    def __init__(self, items, settings, fmt):
        self.items = list(items)
        self.settings = settings
        self.fmt = fmt
        self.selected = []
        self.agents = []
        self.results = []
        self.halted = False

    @property
    def resources(self):
        """The resources the items stand for: a List's items in its place."""
        return list(resid.resources(self.items))

    def report(self, results):
        self.results += results
        return results


# -- generate ---------------------------------------------------------------

def check_unique_ids(state):
    """Two objects with one id are one object in the cluster, the last one
    applied: the analysis would check what the cluster does not run."""
    if R.has_errors(state.report(resid.duplicates(state.resources))):
        state.halted = True


def select_workloads(state):
    resources = state.resources
    selected, found = selection.select(resources, state.settings)
    state.selected = selected
    state.report(found + selection.unmatched(selected, resources, state.settings))


def plan(state):
    agents, found = selection.plan(state.selected, state.settings)
    state.agents = agents
    if R.has_errors(state.report(found)):
        state.halted = True


def patch_workloads(state):
    """Patch each agent's workload; an agent whose workload cannot be
    patched gets no companion."""
    patched = []
    for agent in state.agents:
        if agent.item is None:
            state.report([R.Result(
                f"spec.workloads names {agent.kind} {agent.name}, which is not in the input (a kustomize generator "
                "sees no resources): its companion objects were generated, but the workload itself was not "
                "patched. Run the function as a transformer over the workload too", R.INFO, agent.ref())])
        elif R.has_errors(state.report(_patch(agent, state.settings))):
            continue
        patched.append(agent)
    state.agents = patched


def _patch(agent, settings):
    item = agent.item
    if item.annotations.get(C.TOPOLOGY) == C.TOPOLOGY_VALUE:
        out = [R.Result(f"{item.kind} {item.name} is already managed ({C.TOPOLOGY}: {C.TOPOLOGY_VALUE}); "
                        "left as it is, its companion objects refreshed. Remove the annotation to patch it again",
                        R.INFO, item.ref(), file=item.file())]
        if settings.agent_trust and not patch.has_trust(item.data, agent.kind):
            out.append(R.Result(
                f"{item.kind} {item.name} was patched without the Pipelock CA trust (spec.tls was off then), so its "
                "HTTPS calls will fail verification once the proxy intercepts. Remove the annotation "
                f"{C.TOPOLOGY} to patch it again", R.WARNING, item.ref(), file=item.file()))
        return out
    new, findings = patch.patch(item.data, agent, settings)
    if settings.rollout.depends_on:
        rollout.workload_depends_on(new, agent)
    out = [R.Result(f.message, f.severity, item.ref(), R.field(f.path, f.current, f.proposed), item.file())
           for f in findings]
    if not R.has_errors(out):
        out += R.updated(item, new)
    return out


def generate(state):
    """Append each agent's companion objects, or refresh those a previous run made."""
    generated = []
    for agent in state.agents:
        objects = [obj for _, obj in companions.build(agent, state.settings)]
        if state.settings.probes.enabled:
            objects += _probe_objects(agent, state.settings)
        if state.fmt == "resourcelist":
            _place_beside(objects, agent)
        generated += objects
    state.report(_upsert(state.items, state.resources, generated))


def _place_beside(objects, agent):
    """kpt writes the companions into one file next to the workload's."""
    workload_file = agent.item.file() if agent.item is not None else None
    directory = os.path.dirname(workload_file["path"]) if workload_file else ""
    path = os.path.join(directory, f"{agent.proxy}.yaml") if directory else f"{agent.proxy}.yaml"
    for index, obj in enumerate(objects):
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations[item_mod.PATH_ANNOTATION] = path
        annotations[item_mod.INDEX_ANNOTATION] = str(index)


def _upsert(items, resources, generated):
    """Append generated objects; restore in place those a previous run made.

    An existing object is ours when it has the id a companion of an agent
    in the input has (its kind and name come from the agent) and wears our
    managed-by label; with that id and without the label, it is someone
    else's object in the way."""
    results = []
    existing: dict = {}
    for item in resources:
        existing.setdefault(resid.resource_id(item), item)
    for obj in generated:
        new = item_mod.Item.from_data(obj)
        rid = resid.resource_id(new)
        current = existing.get(rid)
        if current is None:
            items.append(new)
            existing[rid] = new
            continue
        if current.generated or current.labels.get(C.MANAGED_BY_LABEL) != C.MANAGED_BY:
            results.append(R.Result(
                f"{resid.describe(rid)} is already in the input and is not a companion made by {C.MANAGED_BY}: "
                f"rename it, or set {C.PROXY_NAME} on the workload to give its companion another name",
                R.ERROR, current.ref(), file=current.file()))
            continue
        restored = _restored(current, obj)
        dropped = _changed_paths(_without_bookkeeping(current.data), _without_bookkeeping(restored))
        if dropped:
            results.append(R.Result(
                f"{resid.describe(rid)} differed from what {C.MANAGED_BY} generates at "
                f"{', '.join(dropped[:MAX_PATHS_LISTED])}{' and more' if len(dropped) > MAX_PATHS_LISTED else ''}: "
                "restored. A change made by hand (or by another tool, or another version of this function) is "
                "not kept: change the functionConfig instead", R.WARNING, current.ref(), file=current.file()))
        results += R.updated(current, restored)
    return results


MAX_PATHS_LISTED = 5


def _restored(current, obj):
    """The generated object, with the orchestrators' bookkeeping annotations
    of the existing one (kpt's file and index among them) and nothing else
    of it."""
    meta = obj["metadata"]
    annotations = {key: value for key, value in current.annotations.items() if _owned_by_orchestrator(key)}
    annotations.update((key, value) for key, value in (meta.get("annotations") or {}).items()
                       if not _owned_by_orchestrator(key))
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return obj


def _without_bookkeeping(data):
    meta = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    annotations = meta["annotations"] if isinstance(meta.get("annotations"), dict) else {}
    kept = {k: v for k, v in annotations.items() if not _owned_by_orchestrator(k)}
    meta = {k: v for k, v in meta.items() if k != "annotations"}
    if kept:
        meta["annotations"] = kept
    return {**data, "metadata": meta}


_MISSING = object()


def _changed_paths(old, new, path=""):
    """The field paths at which two plain values differ, in order
    (`metadata.annotations[config.kubernetes.io/local-config]`)."""
    if isinstance(old, dict) or isinstance(new, dict):
        if (not isinstance(old, dict) and old is not _MISSING) or (not isinstance(new, dict) and new is not _MISSING):
            return [path or "."]
        old = {} if old is _MISSING else old
        new = {} if new is _MISSING else new
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            step = f"[{key}]" if "." in str(key) or "/" in str(key) else f".{key}" if path else str(key)
            out += _changed_paths(old.get(key, _MISSING), new.get(key, _MISSING), path + step)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new, strict=True)) for p in _changed_paths(a, b, f"{path}[{i}]")]
    return [] if type(old) is type(new) and old == new else [path or "."]


def _owned_by_orchestrator(key):
    """kpt's and kustomize's bookkeeping annotations: theirs, never ours to set."""
    return key.startswith(("internal.config.kubernetes.io/", "config.k8s.io/")) or key in (
        item_mod.LEGACY_PATH_ANNOTATION, item_mod.LEGACY_INDEX_ANNOTATION)


def check_cluster(state):
    """What the input shows against the settings: the CA objects spec.tls
    names, and the cluster's DNS setup (warnings)."""
    if state.agents:
        resources = state.resources
        if state.settings.tls is not None:  # imported only then: a run starts faster without it
            from .topology import ca_material

            state.report(ca_material.check(resources, state.agents, state.settings))
        state.report(cluster_dns.warnings(resources, state.settings))


def run_canary(state):
    """`pipelock init sidecar`'s canary over each generated config, one
    result per distinct verdict."""
    seen: dict = {}
    for agent in state.agents:
        found = canary.result(pipelock_config.document(agent, state.settings))
        seen.setdefault((found.severity, found.message), found)
    state.report(list(seen.values()))


def tighten_policies(state):
    if state.settings.existing_policies == "tighten":  # imported only then: a run starts faster without it
        from .verify import tighten

        state.report(tighten.tighten(state.resources, state.agents, state.settings))


def verify_boundary(state):
    state.report(boundary.verify(state.resources, state.agents, state.settings))


def summarize(state):
    settings = state.settings
    if state.agents:
        state.report([_summary(state.agents)])
    elif not state.selected and (settings.source is None or settings.allow_empty_match):
        # With a functionConfig that selects nothing, selection.unmatched has said so as an error.
        how = "spec.selector" if settings.has_selector else f'the annotation {C.INJECT}: "true"'
        state.report([R.Result(f"no workload selected (selection by {how}); nothing changed", R.WARNING)])


def _summary(agents):
    listing = ", ".join(f"{a.kind}/{a.namespace + '/' if a.namespace else ''}{a.name}" for a in agents)
    return R.Result(f"companion proxy topology for {len(agents)} workload(s): {listing}", R.INFO)


# -- verify -------------------------------------------------------------------

def find_managed(state):
    agents, found = selection.managed_agents(state.resources, state.settings)
    state.agents = agents
    state.report(found)


def check_selected_are_managed(state):
    """Verification fails closed: a workload the selection asks for that no
    run has patched runs without its lockdown."""
    state.report(selection.not_managed(state.resources, state.agents, state.settings))


def summarize_verification(state):
    state.report([R.Result(f"verified {len(state.agents)} managed agent workload(s); nothing was changed", R.INFO)])


# -- probes -------------------------------------------------------------------

def find_probe_targets(state):
    """The selected workloads (planned as generate would) and the ones a
    previous run patched."""
    resources = state.resources
    selected, found = selection.select(resources, state.settings)
    chosen = {id(i) for i in selected}
    managed, more = selection.managed_agents([i for i in resources if id(i) not in chosen], state.settings)
    planned, planning = selection.plan(selected, state.settings)
    state.agents = planned + managed
    if R.has_errors(state.report(found + more + planning)):
        state.halted = True
    elif not state.agents:
        state.report([R.Result("no agent workload found: nothing to probe", R.ERROR)])
        state.halted = True


def replace_with_probes(state):
    """The output is the probe objects alone."""
    state.items = [item_mod.Item.from_data(obj) for agent in state.agents
                   for obj in _probe_objects(agent, state.settings)]


def _probe_objects(agent, settings):
    from .probes import job  # imported only for probes: a run starts faster without it

    return job.build(agent, settings)


MODES = {
    GENERATE: (check_unique_ids, select_workloads, plan, check_cluster, patch_workloads, generate, run_canary,
               tighten_policies, verify_boundary, summarize),
    VERIFY: (check_unique_ids, find_managed, check_selected_are_managed, check_cluster, verify_boundary,
             summarize_verification),
    PROBES: (check_unique_ids, find_probe_targets, replace_with_probes),
}


def run(items, settings, mode, fmt):
    """(items, results) of running `mode`'s steps over the input items."""
    state = State(items, settings, fmt)
    for step in MODES[mode]:
        try:
            step(state)
        except yamlio.Unresolvable as err:
            # Fail closed: an object the function cannot read as kubectl
            # would could hide an agent or a policy.
            state.report([_unreadable(err)])
            state.halted = True
        if state.halted:
            return (items if mode != PROBES else []), state.results
    return state.items, state.results


def _unreadable(err):
    item = err.item
    where = f"{item.kind} {item.name}" if item is not None else "an item"
    return R.Result(f"{where} cannot be read as kubectl and kustomize read it: {err.why}; write it out plainly",
                    R.ERROR, item.ref() if item is not None else None, R.field(err.path) if err.path else None,
                    item.file() if item is not None else None)
