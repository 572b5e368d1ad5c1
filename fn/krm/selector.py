"""Resource selection with the kpt/kyaml Selector semantics.

Every field that is set must match (AND); within a list field, any entry
matches (OR); an empty or missing field matches everything. Label
requirements follow Kubernetes label selectors.
"""


def matches_labels(selector, labels):
    """Kubernetes LabelSelector semantics (matchLabels AND matchExpressions).

    Returns False for an invalid selector: an invalid selector selects nothing.
    """
    if not isinstance(selector, dict):
        return False
    labels = labels or {}
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return False
    for key, value in match_labels.items():
        if labels.get(key) != str(value):
            return False
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return False
    return all(matches_requirement(req, labels) for req in expressions)


def matches_requirement(requirement, labels):
    if not isinstance(requirement, dict):
        return False
    key, operator = requirement.get("key"), requirement.get("operator")
    values = requirement.get("values") or []
    if not isinstance(values, list):
        return False
    values = [str(v) for v in values]
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False


def is_empty(selector):
    return not selector or not any(selector.get(k) for k in selector)


def matches(selector, item, default_namespace="default"):
    """Whether `item` matches a selector {kinds, names, namespaces,
    matchLabels, matchExpressions, annotations}."""
    kinds = selector.get("kinds")
    if kinds and item.kind not in kinds:
        return False
    names = selector.get("names")
    if names and item.name not in names:
        return False
    namespaces = selector.get("namespaces")
    if namespaces and (item.namespace or default_namespace) not in namespaces:
        return False
    labels = {k: str(v) for k, v in item.labels.items()}
    if selector.get("matchLabels") or selector.get("matchExpressions"):
        if not matches_labels(selector, labels):
            return False
    annotations = selector.get("annotations") or {}
    item_annotations = item.annotations
    return all(str(item_annotations.get(k)) == v and k in item_annotations for k, v in annotations.items())
