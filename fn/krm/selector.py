"""Selection: Kubernetes label selectors, and resource selectors with the
kpt/kyaml semantics.

Every field of a resource selector that is set must match (AND); within a
list field, any entry matches (OR); an empty or missing field matches
everything. Label selectors are compiled once (and checked as the API
server checks them); the NetworkPolicy analysis uses the same code.
"""


OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def matches_labels(raw, labels):
    """Whether a label selector (as written in a manifest) selects `labels`.
    An invalid selector selects nothing, as the API server would not have it."""
    compiled, _ = compile_selector(raw)
    return compiled is not None and compiled.matches(labels or {})


class Selector:
    """A valid label selector: `equal` (matchLabels) and `requirements`,
    each (key, operator, frozenset of values)."""

    __slots__ = ("equal", "requirements")

    def __init__(self, equal, requirements):
        self.equal = equal
        self.requirements = requirements

    def matches(self, labels):
        for key, value in self.equal.items():
            if labels.get(key) != value:
                return False
        return all(_requirement_holds(req, labels) for req in self.requirements)


def _requirement_holds(requirement, labels):
    key, operator, values = requirement
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values  # a missing key is not in the values
    if operator == "Exists":
        return key in labels
    return key not in labels


def compile_selector(raw):
    """(Selector, None), or (None, why) for an invalid one, which selects nothing."""
    if not isinstance(raw, dict):
        return None, f"a label selector must be a mapping, not {type(raw).__name__}: it selects nothing"
    equal = raw.get("matchLabels")
    expressions = raw.get("matchExpressions")
    reason = _match_labels_problem(equal) or _expressions_problem(expressions)
    if reason:
        return None, reason + ": the API server rejects it; it selects nothing here"
    requirements = tuple((e["key"], e["operator"], frozenset(e.get("values") or ())) for e in expressions or ())
    return Selector(dict(equal or {}), requirements), None


def _match_labels_problem(equal):
    if equal is None:
        return None
    if not isinstance(equal, dict):
        return "matchLabels must be a mapping"
    for key, value in equal.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return f"matchLabels {key!r}: {value!r}: label keys and values must be strings"
    return None


def _expressions_problem(expressions):
    if expressions is None:
        return None
    if not isinstance(expressions, list):
        return "matchExpressions must be a list"
    for i, expression in enumerate(expressions):
        reason = _expression_problem(expression)
        if reason:
            return f"matchExpressions[{i}]: {reason}"
    return None


def _expression_problem(expression):
    if not isinstance(expression, dict):
        return "each expression must be a mapping"
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
    if not isinstance(key, str) or not key:
        return "key must be a non-empty string"
    if operator not in OPERATORS:
        return f"operator {operator!r} is not one of {', '.join(OPERATORS)}"
    if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
        return "values must be a list of strings"
    if operator in ("In", "NotIn") and not values:
        return f"operator {operator} needs at least one value"
    if operator in ("Exists", "DoesNotExist") and values:
        return f"operator {operator} takes no values"
    return None



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
    if (selector.get("matchLabels") or selector.get("matchExpressions")) and not matches_labels(selector, labels):
        return False
    annotations = selector.get("annotations") or {}
    item_annotations = item.annotations
    return all(str(item_annotations.get(k)) == v and k in item_annotations for k, v in annotations.items())
