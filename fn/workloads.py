"""The workload kinds the function manages, and where each keeps its pod template.

Written once, as a table; every feature reads pod templates through it.
"""

# kind -> (API groups it is served from, path of the pod template)
WORKLOAD_KINDS = {
    "Deployment": (("apps",), ("spec", "template")),
    "StatefulSet": (("apps",), ("spec", "template")),
    "DaemonSet": (("apps",), ("spec", "template")),
    "ReplicaSet": (("apps",), ("spec", "template")),
    "Job": (("batch",), ("spec", "template")),
    "CronJob": (("batch",), ("spec", "jobTemplate", "spec", "template")),
    "Rollout": (("argoproj.io",), ("spec", "template")),
}
# The served version of each group, for a workload known only by kind (spec.workloads).
_GROUP_VERSION = {"apps": "apps/v1", "batch": "batch/v1", "argoproj.io": "argoproj.io/v1alpha1"}

# Kinds whose pods are selected by spec.selector; Jobs get a generated
# controller-uid selector, so their pods are known by template labels only.
_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout")


def is_workload(item):
    spec = WORKLOAD_KINDS.get(item.kind)
    return spec is not None and item.group in spec[0]


def api_version(kind):
    """The apiVersion a workload of `kind` is written with."""
    return _GROUP_VERSION[WORKLOAD_KINDS[kind][0][0]]


def template_path(kind):
    return WORKLOAD_KINDS[kind][1]


def template_path_text(kind):
    return ".".join(template_path(kind))


def pod_template(data, kind):
    """The pod template mapping of a workload's data, or None."""
    node = data
    for key in template_path(kind):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def pod_spec(data, kind):
    template = pod_template(data, kind)
    spec = template.get("spec") if template else None
    return spec if isinstance(spec, dict) else None


def pod_labels(data, kind):
    template = pod_template(data, kind)
    meta = template.get("metadata") if template else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return {k: v for k, v in labels.items() if isinstance(v, str)} if isinstance(labels, dict) else {}


def agent_selector(data, kind):
    """The label selector that picks the workload's pods, for NetworkPolicies.

    The workload's own spec.selector where it has one (it is what the
    controller uses), else the pod template labels. None when there is
    nothing to select by: an empty selector would pick every pod.
    """
    if kind in _SELECTOR_KINDS:
        selector = (data.get("spec") or {}).get("selector")
        if isinstance(selector, dict):
            out: dict = {}
            labels = selector.get("matchLabels")
            if isinstance(labels, dict) and labels:
                out["matchLabels"] = {k: str(v) for k, v in labels.items()}
            expressions = selector.get("matchExpressions")
            if isinstance(expressions, list) and expressions:
                out["matchExpressions"] = expressions
            if out:
                return out
    labels = pod_labels(data, kind)
    return {"matchLabels": labels} if labels else None


def containers(spec):
    """(field name, index, container) for every container of a pod spec, in
    order: init containers (native sidecars among them), then containers."""
    out: list = []
    for field in ("initContainers", "containers"):
        entries = spec.get(field)
        if isinstance(entries, list):
            out.extend((field, i, c) for i, c in enumerate(entries) if isinstance(c, dict))
    return out


# The parts of a pod spec the function reads or writes, and the type the
# Kubernetes API gives each: anything else is refused with the field's path
# before patching, never met as an internal error half-way.
_CONTAINER_FIELDS = {"name": str, "image": str, "command": list, "args": list, "env": list, "volumeMounts": list}
_LIST_OF_MAPPINGS = ("env", "volumeMounts")


def shape_problems(data, kind):
    """[(field path, problem)] for the parts of a workload the patch touches."""
    base = template_path_text(kind)
    out = []
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        return [("metadata", "is not a mapping")]
    if meta.get("annotations") is not None and not isinstance(meta["annotations"], dict):
        out.append(("metadata.annotations", "is not a mapping"))
    template = pod_template(data, kind)
    if template is None:
        return [*out, (base, "is not a mapping")]
    template_meta = template.get("metadata")
    if template_meta is not None and not isinstance(template_meta, dict):
        return [*out, (f"{base}.metadata", "is not a mapping")]
    if isinstance(template_meta, dict) and template_meta.get("annotations") is not None \
            and not isinstance(template_meta["annotations"], dict):
        out.append((f"{base}.metadata.annotations", "is not a mapping"))
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return [*out, (f"{base}.spec", "is not a mapping")]
    for field in ("initContainers", "containers", "volumes"):
        entries = spec.get(field)
        if entries is None:
            continue
        if not isinstance(entries, list):
            out.append((f"{base}.spec.{field}", "is not a list"))
            continue
        for i, entry in enumerate(entries):
            path = f"{base}.spec.{field}[{i}]"
            if not isinstance(entry, dict):
                out.append((path, "is not a mapping"))
            elif field != "volumes":
                out += _container_problems(entry, path)
    return out


def _container_problems(container, path):
    out = []
    for field, kind in _CONTAINER_FIELDS.items():
        value = container.get(field)
        if value is not None and not isinstance(value, kind):
            out.append((f"{path}.{field}", f"is not a {'string' if kind is str else 'list'}"))
    for field in ("command", "args"):
        words = container.get(field)
        if isinstance(words, list):
            out += [(f"{path}.{field}[{i}]", "is not a string (quote it)")
                    for i, word in enumerate(words) if not isinstance(word, str)]
    for field in _LIST_OF_MAPPINGS:
        entries = container.get(field)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                out.append((f"{path}.{field}[{i}]", "is not a mapping"))
            elif field == "env" and not isinstance(entry.get("name"), str):
                out.append((f"{path}.{field}[{i}].name", "is not a string"))
            elif field == "env" and entry.get("value") is not None and not isinstance(entry["value"], str):
                out.append((f"{path}.{field}[{i}].value", "is not a string (quote it)"))
    return out
