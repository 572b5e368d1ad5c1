"""Calico's selector language: parsed, judged on a LabelView, and turned
into Kubernetes-style requirements (a disjunction of conjunctions).

Grammar (projectcalico libcalico-go/lib/selector): `k == 'v'`, `k != 'v'`
(true when k is absent), `has(k)`, `k in {'a', 'b'}`, `k not in {...}`
(true when absent), `k contains 's'`, `k starts with 's'`, `k ends with
's'`, `all()`, `global()`, `!e`, `e && e`, `e || e`, `( e )`; strings in
single or double quotes without escapes; spaces and tabs between tokens.
An empty selector is `all()`.
"""

import re

from ..krm import selector as krm_selector
from . import labels as L

MAX_TERMS = 64
_LABEL = re.compile(r"[a-zA-Z0-9_./-]{1,512}")
_WHITESPACE = " \t"


class SelectorError(ValueError):
    """A selector that does not parse, or that cannot be turned into requirements."""


# -- parsing ------------------------------------------------------------------

def parse(text):
    """The selector's tree; SelectorError when it does not parse."""
    if text is None:
        return ("all",)
    if not isinstance(text, str):
        raise SelectorError(f"a selector must be a string, not {type(text).__name__}")
    tokens = _tokens(text)
    if tokens == [("eof", None)]:
        return ("all",)
    parser = _Parser(tokens)
    tree = parser.expression()
    if parser.peek()[0] != "eof":
        raise SelectorError(f"unexpected {parser.peek()[1] or parser.peek()[0]!r} in {text!r}")
    return tree


def _tokens(text):
    out: list = []
    rest = text
    while True:
        rest = rest.lstrip(_WHITESPACE)
        if not rest:
            out.append(("eof", None))
            return out
        last = out[-1][0] if out else None
        two = rest[:2]
        if rest[0] in "(){},":
            out.append((rest[0], rest[0]))
            rest = rest[1:]
        elif rest[0] in "'\"":
            end = rest.find(rest[0], 1)
            if end < 0:
                raise SelectorError(f"unterminated string in {text!r}")
            out.append(("string", rest[1:end]))
            rest = rest[end + 1:]
        elif two in ("==", "!=", "&&", "||"):
            out.append((two, two))
            rest = rest[2:]
        elif rest[0] == "!":
            out.append(("!", "!"))
            rest = rest[1:]
        elif last == "label":
            operator, rest = _operator(rest, text)
            out.append((operator, operator))
        elif rest.startswith(("has(", "all(", "global(")):
            name, rest = rest.split("(", 1)
            rest = rest.lstrip(_WHITESPACE)
            argument = None
            if name == "has":
                match = _LABEL.match(rest)
                if not match:
                    raise SelectorError(f"no label in has( in {text!r}")
                argument = match.group()
                rest = rest[match.end():].lstrip(_WHITESPACE)
            if not rest.startswith(")"):
                raise SelectorError(f"no closing ')' after {name}( in {text!r}")
            out.append((name, argument))
            rest = rest[1:]
        else:
            match = _LABEL.match(rest)
            if not match:
                raise SelectorError(f"unexpected characters {rest[:10]!r} in {text!r}")
            out.append(("label", match.group()))
            rest = rest[match.end():]


def _operator(rest, text):
    for word, operator in (("contains", "contains"), ("starts", "starts with"), ("ends", "ends with"),
                           ("not", "not in"), ("in", "in")):
        if rest.startswith(word):
            rest = rest[len(word):]
            if " " in operator:
                rest = rest.lstrip(_WHITESPACE)
                second = operator.split(" ")[1]
                if not rest.startswith(second):
                    break
                rest = rest[len(second):]
            return operator, rest
    raise SelectorError(f"expected an operator after a label in {text!r}")


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.at = 0

    def peek(self):
        return self.tokens[self.at]

    def take(self, kind):
        token = self.tokens[self.at]
        if token[0] != kind:
            raise SelectorError(f"expected {kind!r}, found {token[1] or token[0]!r}")
        self.at += 1
        return token[1]

    def expression(self):
        terms = [self.conjunction()]
        while self.peek()[0] == "||":
            self.at += 1
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else ("or", *terms)

    def conjunction(self):
        terms = [self.unary()]
        while self.peek()[0] == "&&":
            self.at += 1
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else ("and", *terms)

    def unary(self):
        kind, value = self.peek()
        if kind == "!":
            self.at += 1
            return ("not", self.unary())
        if kind == "(":
            self.at += 1
            inner = self.expression()
            self.take(")")
            return inner
        self.at += 1
        if kind in ("all", "global"):
            return (kind,)
        if kind == "has":
            return ("has", value)
        if kind != "label":
            raise SelectorError(f"unexpected {value or kind!r}")
        operator = self.peek()[0]
        self.at += 1
        if operator in ("==", "!=", "contains", "starts with", "ends with"):
            return (operator, value, self.take("string"))
        if operator in ("in", "not in"):
            return (operator, value, self._set())
        raise SelectorError(f"expected an operator after {value!r}")

    def _set(self):
        self.take("{")
        values = []
        if self.peek()[0] != "}":
            values.append(self.take("string"))
            while self.peek()[0] == ",":
                self.at += 1
                values.append(self.take("string"))
        self.take("}")
        return frozenset(values)


# -- judging --------------------------------------------------------------------

def judge(tree, view):
    """True, False or None (may match) for a tree on a LabelView. global()
    matches no pod and no namespace."""
    kind = tree[0]
    if kind == "all":
        return True
    if kind == "global":
        return False
    if kind == "not":
        inner = judge(tree[1], view)
        return None if inner is None else not inner
    if kind in ("and", "or"):
        combine = L.both if kind == "and" else L.either
        out = judge(tree[1], view)
        for part in tree[2:]:
            out = combine(out, judge(part, view))
        return out
    if kind == "has":
        return L.requirement(view, tree[1], "Exists", ())
    key, argument = tree[1], tree[2]
    if kind in _AS_REQUIREMENT:
        operator, values = _AS_REQUIREMENT[kind](argument)
        return L.requirement(view, key, operator, values)
    value = view.value(key)
    if value is L.UNKNOWN:
        return None
    return value is not L.ABSENT and _STRING_TESTS[kind](value, argument)


_AS_REQUIREMENT = {
    "==": lambda v: ("In", frozenset([v])), "!=": lambda v: ("NotIn", frozenset([v])),
    "in": lambda vs: ("In", vs), "not in": lambda vs: ("NotIn", vs),
}
_STRING_TESTS = {
    "contains": lambda value, s: s in value,
    "starts with": lambda value, s: value.startswith(s),
    "ends with": lambda value, s: value.endswith(s),
}


def uses(tree, kind):
    """Whether the tree contains a node of `kind` (e.g. "global")."""
    return tree[0] == kind or any(isinstance(part, tuple) and uses(part, kind) for part in tree[1:])


def anchors(tree):
    """Label sets one of which a matching pod must carry (see labels.anchors):
    the ==/in tests of a top-level conjunction."""
    parts = tree[1:] if tree[0] == "and" else (tree,)
    out = []
    for part in parts:
        if part[0] == "==":
            out.append(frozenset([(part[1], part[2])]))
        elif part[0] == "in":
            out.append(frozenset((part[1], v) for v in part[2]))
    return out


# -- as Kubernetes requirements -------------------------------------------------

def to_selectors(tree):
    """A list of krm Selectors whose union is the tree's matches (an empty
    list matches nothing). SelectorError for what requirements cannot say:
    contains / starts with / ends with, global(), more than MAX_TERMS terms."""
    terms = _dnf(_negation_normal(tree, False))
    return [krm_selector.Selector({}, tuple(sorted(term, key=repr))) for term in terms]


def _negation_normal(tree, negated):
    kind = tree[0]
    if kind == "not":
        return _negation_normal(tree[1], not negated)
    if kind in ("and", "or"):
        flipped = {"and": "or", "or": "and"}[kind] if negated else kind
        return (flipped, *(_negation_normal(part, negated) for part in tree[1:]))
    if kind == "all":
        return ("false",) if negated else ("true",)
    if kind == "global" or kind in _STRING_TESTS:
        raise SelectorError(f"{kind}{'()' if kind == 'global' else ''} cannot be analysed here")
    if kind == "has":
        return ("atom", (tree[1], "DoesNotExist" if negated else "Exists", frozenset()))
    operator, values = _AS_REQUIREMENT[kind](tree[2])
    if negated:
        operator = "NotIn" if operator == "In" else "In"
    return ("atom", (tree[1], operator, values))


def _dnf(tree):
    """A list of terms, each a tuple of requirements (key, operator, values)."""
    kind = tree[0]
    if kind == "true":
        return [()]
    if kind == "false":
        return []
    if kind == "atom":
        return [(tree[1],)]
    parts = [_dnf(part) for part in tree[1:]]
    if kind == "or":
        out = [term for part in parts for term in part]
    else:
        out = [()]
        for part in parts:
            out = [a + b for a in out for b in part]
            if len(out) > MAX_TERMS:
                break
    if len(out) > MAX_TERMS:
        raise SelectorError(f"the selector has more than {MAX_TERMS} alternatives once expanded")
    return out
