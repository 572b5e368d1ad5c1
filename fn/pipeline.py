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
from .krm import results as R
from .probes import job as probe_job
from .topology import ca_material, canary, cluster_dns, companions, patch, pipelock_config, rollout
from .verify import boundary, tighten

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

    def report(self, results):
        self.results += results
        return results


# -- generate ---------------------------------------------------------------

def select_workloads(state):
    selected, found = selection.select(state.items, state.settings)
    state.selected = selected
    state.report(found)


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
        item.update(new)
    return out


def generate(state):
    """Append each agent's companion objects, or refresh those a previous run made."""
    generated = []
    for agent in state.agents:
        objects = [obj for _, obj in companions.build(agent, state.settings)]
        if state.settings.probes.enabled:
            objects += probe_job.build(agent, state.settings)
        if state.fmt == "resourcelist":
            _place_beside(objects, agent)
        generated += objects
    state.report(_upsert(state.items, generated))


def _place_beside(objects, agent):
    """kpt writes the companions into one file next to the workload's."""
    workload_file = agent.item.file() if agent.item is not None else None
    directory = os.path.dirname(workload_file["path"]) if workload_file else ""
    path = os.path.join(directory, f"{agent.proxy}.yaml") if directory else f"{agent.proxy}.yaml"
    for index, obj in enumerate(objects):
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations[item_mod.PATH_ANNOTATION] = path
        annotations[item_mod.INDEX_ANNOTATION] = str(index)


def _identity(obj):
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace") or "default", meta.get("name"))


def _upsert(items, generated):
    """Append generated objects; refresh in place those a previous run made."""
    results = []
    existing: dict = {}
    for item in items:
        existing.setdefault((item.api_version, item.kind, item.namespace or "default", item.name), item)
    for obj in generated:
        key = _identity(obj)
        current = existing.get(key)
        if current is None:
            items.append(item_mod.Item.from_data(obj))
            continue
        if current.labels.get(C.MANAGED_BY_LABEL) != C.MANAGED_BY:
            results.append(R.Result(
                f"{obj['kind']} {key[3]} already exists and is not managed by {C.MANAGED_BY}; "
                f"rename it or set {C.PROXY_NAME} on the workload to use another proxy name",
                R.ERROR, current.ref(), file=current.file()))
            continue
        current.update(_refreshed(current, obj))
    return results


def _refreshed(current, obj):
    """The generated object, keeping what others added to the existing one:
    extra labels and annotations (kpt's own bookkeeping among them) stay."""
    meta = obj["metadata"]
    labels = dict(current.labels)
    labels.update(meta.get("labels") or {})
    meta["labels"] = labels
    annotations = dict(current.annotations)
    annotations.update((key, value) for key, value in (meta.get("annotations") or {}).items()
                       if not _owned_by_orchestrator(key))
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return obj


def _owned_by_orchestrator(key):
    """kpt's and kustomize's bookkeeping annotations: theirs, never ours to set."""
    return key.startswith(("internal.config.kubernetes.io/", "config.k8s.io/")) or key in (
        item_mod.LEGACY_PATH_ANNOTATION, item_mod.LEGACY_INDEX_ANNOTATION)


def check_cluster(state):
    """What the input shows against the settings: the CA objects spec.tls
    names, and the cluster's DNS setup (warnings)."""
    if state.agents:
        state.report(ca_material.check(state.items, state.agents, state.settings)
                     + cluster_dns.warnings(state.items, state.settings))


def run_canary(state):
    """`pipelock init sidecar`'s canary over each generated config, one
    result per distinct verdict."""
    seen: dict = {}
    for agent in state.agents:
        found = canary.result(pipelock_config.document(agent, state.settings))
        seen.setdefault((found.severity, found.message), found)
    state.report(list(seen.values()))


def tighten_policies(state):
    state.report(tighten.tighten(state.items, state.agents, state.settings))


def verify_boundary(state):
    state.report(boundary.verify(state.items, state.agents, state.settings))


def summarize(state):
    if state.agents or not state.selected:  # when every selected workload failed, its errors say so
        state.report([_summary(state.agents, state.settings)])


def _summary(agents, settings):
    if not agents:
        how = "spec.selector" if settings.has_selector else f'the annotation {C.INJECT}: "true"'
        return R.Result(f"no workload selected (selection by {how}); nothing changed", R.WARNING)
    listing = ", ".join(f"{a.kind}/{a.namespace + '/' if a.namespace else ''}{a.name}" for a in agents)
    return R.Result(f"companion proxy topology for {len(agents)} workload(s): {listing}", R.INFO)


# -- verify -------------------------------------------------------------------

def find_managed(state):
    agents, found = selection.managed_agents(state.items, state.settings)
    state.agents = agents
    state.report(found)


def summarize_verification(state):
    state.report([R.Result(f"verified {len(state.agents)} managed agent workload(s); nothing was changed", R.INFO)])


# -- probes -------------------------------------------------------------------

def find_probe_targets(state):
    """The selected workloads (planned as generate would) and the ones a
    previous run patched."""
    selected, found = selection.select(state.items, state.settings)
    managed, more = selection.managed_agents([i for i in state.items if i not in selected], state.settings)
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
                   for obj in probe_job.build(agent, state.settings)]


MODES = {
    GENERATE: (select_workloads, plan, check_cluster, patch_workloads, generate, run_canary, tighten_policies,
               verify_boundary, summarize),
    VERIFY: (find_managed, check_cluster, verify_boundary, summarize_verification),
    PROBES: (find_probe_targets, replace_with_probes),
}


def run(items, settings, mode, fmt):
    """(items, results) of running `mode`'s steps over the input items."""
    state = State(items, settings, fmt)
    for step in MODES[mode]:
        step(state)
        if state.halted:
            return (items if mode != PROBES else []), state.results
    return state.items, state.results
