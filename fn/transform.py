"""The function: (items, functionConfig) -> (items, results).

Selects agent workloads, patches them, appends (or refreshes) their
companion objects, then verifies the boundary over every NetworkPolicy.
No I/O here; `cli` reads and writes.
"""

import os

from . import config as config_mod
from . import selection
from .krm import item as item_mod
from .krm import results as R
from .topology import configmap, deployment, names, networkpolicy, patch, pdb, policies, rollout, service, tls
from .verify import boundary


def run(items, function_config, fmt="resourcelist"):
    """Transform `items` in place of a copy; returns (items, results)."""
    cfg, results = config_mod.load(function_config)
    if R.has_errors(results):
        return items, results
    results += tls.check(cfg, function_config)
    results += configmap.check(cfg, function_config.ref() if function_config is not None else None)
    if R.has_errors(results):
        return items, results

    if cfg["mode"] == "verify":
        agents, found = selection.managed_agents(items, cfg)
        results += found
        results += boundary.verify(items, agents, cfg)
        results.append(R.Result(f"verified {len(agents)} managed agent workload(s); nothing was changed", R.INFO))
        return items, results

    selected, found = selection.select(items, cfg)
    results += found
    agents, found = selection.plan(selected, cfg)
    results += found
    if R.has_errors(found):
        return items, results

    out = list(items)
    generated = []
    done = []
    for agent in agents:
        if agent.item is not None:
            patched = _patch(agent, cfg)
            results += patched
            if R.has_errors(patched):
                continue  # no companion for a workload that could not be patched
        else:
            results.append(R.Result(
                f"spec.workloads names {agent.kind} {agent.name}, which is not in the input (a kustomize generator "
                "sees no resources): its companion objects were generated, but the workload itself was not "
                "patched. Run the function as a transformer over the workload too", R.INFO, agent.ref()))
        generated += _companions(agent, cfg, fmt)
        done.append(agent)
    agents = done
    results += _upsert(out, generated)
    results += policies.check(out, agents, cfg)
    results += boundary.verify(out, agents, cfg)
    if agents or not selected:  # when every selected workload failed, its errors say so
        results.append(_summary(agents, cfg))
    return out, results


def _patch(agent, cfg):
    item = agent.item
    if item.annotations.get(names.TOPOLOGY) == names.TOPOLOGY_VALUE:
        return [R.Result(f"{item.kind} {item.name} is already managed ({names.TOPOLOGY}: {names.TOPOLOGY_VALUE}); "
                         "left as it is, its companion objects refreshed. Remove the annotation to patch it again",
                         R.INFO, item.ref(), file=item.file())]
    new, findings = patch.patch(item.data, agent, cfg)
    if cfg["rollout"]["dependsOn"]:
        rollout.workload_depends_on(new, agent)
    out = [R.Result(f.message, f.severity, item.ref(), R.field(f.path, f.current, f.proposed), item.file())
           for f in findings]
    if not R.has_errors(out):
        item.update(new)
    return out


def _companions(agent, cfg, fmt):
    text, checksum = configmap.render(agent, cfg)
    waves = rollout.annotations(agent, cfg)
    objects = [
        configmap.build(agent, cfg, text, waves.get("ConfigMap")),
        networkpolicy.build_proxy(agent, cfg, waves.get("proxy-policy")),
        deployment.build(agent, cfg, checksum, waves.get("Deployment")),
        service.build(agent, cfg, waves.get("Service")),
        pdb.build(agent, cfg, waves.get("PodDisruptionBudget")),
        networkpolicy.build_agent(agent, cfg, waves.get("agent-policy")),
    ]
    if cfg["probes"]["enabled"]:
        from .probes import bundle

        objects += bundle.build_for_agent(agent, cfg)
    if fmt == "resourcelist":
        path = _companion_path(agent)
        for index, obj in enumerate(objects):
            annotations = obj["metadata"].setdefault("annotations", {})
            annotations[item_mod.PATH_ANNOTATION] = path
            annotations[item_mod.INDEX_ANNOTATION] = str(index)
    return objects


def _companion_path(agent):
    """Next to the workload's file, so kpt writes the companion beside it."""
    workload_file = agent.item.file() if agent.item is not None else None
    directory = os.path.dirname(workload_file["path"]) if workload_file else ""
    return os.path.join(directory, f"{agent.proxy}.yaml") if directory else f"{agent.proxy}.yaml"


def _identity(obj):
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace") or "default", meta.get("name"))


def _upsert(items, generated):
    """Append generated objects; refresh in place those a previous run made."""
    results = []
    existing = {}
    for item in items:
        existing.setdefault((item.api_version, item.kind, item.namespace or "default", item.name), item)
    for obj in generated:
        key = _identity(obj)
        current = existing.get(key)
        if current is None:
            items.append(item_mod.Item.from_data(obj))
            continue
        if current.labels.get("app.kubernetes.io/managed-by") != names.MANAGED_BY:
            results.append(R.Result(
                f"{obj['kind']} {key[3]} already exists and is not managed by {names.MANAGED_BY}; "
                f"rename it or set {names.PROXY_NAME} on the workload to use another proxy name",
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
    for key, value in (meta.get("annotations") or {}).items():
        if not _owned_by_orchestrator(key):
            annotations[key] = value
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return obj


def _owned_by_orchestrator(key):
    """kpt's and kustomize's bookkeeping annotations: theirs, never ours to set."""
    return key.startswith(("internal.config.kubernetes.io/", "config.k8s.io/")) or key in (
        item_mod.LEGACY_PATH_ANNOTATION, item_mod.LEGACY_INDEX_ANNOTATION)


def _summary(agents, cfg):
    if not agents:
        how = "spec.selector" if cfg.has_selector else f'the annotation {names.INJECT}: "true"'
        return R.Result(f"no workload selected (selection by {how}); nothing changed", R.WARNING)
    listing = ", ".join(f"{a.kind}/{a.namespace + '/' if a.namespace else ''}{a.name}" for a in agents)
    return R.Result(f"companion proxy topology for {len(agents)} workload(s): {listing}", R.INFO)
