"""Labels as far as they are known, and selectors judged against them.

A pod's labels are not all known before it runs: controllers add
`pod-template-hash` and the like, with values no manifest shows, and the
labels of a namespace that is not in the input are not known at all. A
`LabelView` says, for each key, whether it holds a known value, is absent,
or is unknown; a selector judged against a view is True, False or None
(may or may not match). Deciding that a policy *may* select a pod (it may
open a path) takes "not False"; that it *must* (it isolates the pod) takes
"True".
"""

ABSENT = object()
UNKNOWN = object()


class LabelView:
    """`known` labels; `unknown` keys, present with a value not known here
    (or absent: some CNIs drop them); keys starting with one of
    `open_prefixes` and not known may hold anything."""

    __slots__ = ("known", "unknown", "open_prefixes")

    def __init__(self, known, unknown=(), open_prefixes=()):
        self.known = known
        self.unknown = frozenset(unknown)
        self.open_prefixes = tuple(open_prefixes)

    def value(self, key):
        """The key's value, ABSENT or UNKNOWN."""
        if key in self.unknown:
            return UNKNOWN
        if key in self.known:
            return self.known[key]
        return UNKNOWN if key.startswith(self.open_prefixes) else ABSENT


def requirement(view, key, operator, values):
    """A Kubernetes requirement (In, NotIn, Exists, DoesNotExist) on a view:
    True, False or None."""
    value = view.value(key)
    if value is UNKNOWN:
        return None
    if operator == "In":
        return value is not ABSENT and value in values
    if operator == "NotIn":
        return value is ABSENT or value not in values
    if operator == "Exists":
        return value is not ABSENT
    return value is ABSENT


def both(a, b):
    """Kleene AND."""
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def either(a, b):
    """Kleene OR."""
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def judge(selector, view):
    """A compiled Kubernetes label selector (krm.selector.Selector) on a
    view; None (an invalid selector) selects nothing."""
    if selector is None:
        return False
    out = True
    for key, value in selector.equal.items():
        out = both(out, requirement(view, key, "In", (value,)))
        if out is False:
            return False
    for key, operator, values in selector.requirements:
        out = both(out, requirement(view, key, operator, values))
        if out is False:
            return False
    return out


def anchors(selector):
    """The label sets one of which a pod must carry to be selected: one
    set per matchLabels entry and per In requirement. An index keyed on
    one of them finds every pod the selector can match."""
    out = [frozenset([(key, value)]) for key, value in selector.equal.items()]
    out += [frozenset((key, v) for v in values) for key, operator, values in selector.requirements
            if operator == "In"]
    return out
