"""Calico's selector language: parsing (precedence, quoting, whitespace),
judging on labels, and the translation into Kubernetes requirements. The
oracle evaluates randomly built expression trees directly, from the
grammar in Calico's docs, and renders them to text for the parser."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelock_companion.verify import calico_selector as S
from pipelock_companion.verify import labels as L

KEYS = ["app", "tier", "example.com/team"]
VALUES = ["a", "b", "web-1"]


def atoms():
    key, value = st.sampled_from(KEYS), st.sampled_from(VALUES)
    values = st.lists(value, min_size=0, max_size=2, unique=True)
    return st.one_of(
        st.builds(lambda k, v: ("==", k, v), key, value), st.builds(lambda k, v: ("!=", k, v), key, value),
        st.builds(lambda k: ("has", k), key), st.builds(lambda k, vs: ("in", k, vs), key, values),
        st.builds(lambda k, vs: ("not in", k, vs), key, values), st.just(("all",)))


TREES = st.recursive(atoms(), lambda children: st.one_of(
    st.builds(lambda c: ("not", c), children),
    st.builds(lambda a, b: ("and", a, b), children, children),
    st.builds(lambda a, b: ("or", a, b), children, children)), max_leaves=6)
LABELS = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3)


def render(tree):
    kind = tree[0]
    if kind == "all":
        return "all()"
    if kind == "has":
        return f"has({tree[1]})"
    if kind == "not":
        return f"!({render(tree[1])})"
    if kind in ("and", "or"):
        return f"({render(tree[1])}) {'&&' if kind == 'and' else '||'} ({render(tree[2])})"
    if kind in ("in", "not in"):
        return f"{tree[1]} {kind} {{{', '.join(repr(v) for v in tree[2])}}}"
    return f'{tree[1]} {kind} "{tree[2]}"'


def evaluate(tree, labels):
    kind = tree[0]
    if kind == "all":
        return True
    if kind == "has":
        return tree[1] in labels
    if kind == "not":
        return not evaluate(tree[1], labels)
    if kind == "and":
        return evaluate(tree[1], labels) and evaluate(tree[2], labels)
    if kind == "or":
        return evaluate(tree[1], labels) or evaluate(tree[2], labels)
    present, value = tree[1] in labels, labels.get(tree[1])
    return {"==": present and value == tree[2], "!=": not present or value != tree[2],
            "in": present and value in tree[2], "not in": not present or value not in tree[2]}[kind]


@settings(max_examples=300, deadline=None)
@given(TREES, LABELS)
def test_parse_judge_and_requirements_agree_with_the_grammar(tree, labels):
    parsed = S.parse(render(tree))
    expected = evaluate(tree, labels)
    assert S.judge(parsed, L.LabelView(labels)) is expected
    assert any(s.matches(labels) for s in S.to_selectors(parsed)) is expected


@settings(max_examples=200, deadline=None)
@given(TREES, LABELS, st.sampled_from(KEYS))
def test_an_unknown_value_is_judged_soundly(tree, labels, unknown):
    """With one key's value unknown (a run-time label), the judgement is
    True only if every value (or absence) matches, False only if none does."""
    parsed = S.parse(render(tree))
    verdict = S.judge(parsed, L.LabelView(labels, {unknown}))
    outcomes = {evaluate(tree, {**{k: v for k, v in labels.items() if k != unknown}, **extra})
                for extra in ({}, *({unknown: v} for v in [*VALUES, "other"]))}
    if verdict is not None:
        assert outcomes == {verdict}


@pytest.mark.parametrize(("text", "labels", "matches"), [
    ("", {}, True),
    ("  app == 'a' && tier != \"b\"", {"app": "a"}, True),
    ("!has(app) || app in {'a', 'b'}", {"app": "c"}, False),
    ("app == 'a' || tier == 'b' && app == 'c'", {"tier": "b", "app": "a"}, True),   # && binds tighter
    ("app not in {}", {}, True),
    ("app starts with 'we' && app ends with '-1' && app contains 'b-'", {"app": "web-1"}, True),
    ("global()", {}, False),
])
def test_worked_selectors(text, labels, matches):
    assert S.judge(S.parse(text), L.LabelView(labels)) is matches


@pytest.mark.parametrize("text", ["app = 'a'", "app == a", "has(app", "app == 'a' &&", "(app == 'a'", "app in {'a'"])
def test_what_does_not_parse(text):
    with pytest.raises(S.SelectorError):
        S.parse(text)


def test_string_operators_and_global_are_not_turned_into_requirements():
    for text in ("app contains 'x'", "!(app starts with 'x')", "global()"):
        with pytest.raises(S.SelectorError):
            S.to_selectors(S.parse(text))
