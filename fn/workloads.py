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
