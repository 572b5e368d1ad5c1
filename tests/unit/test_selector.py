"""Selectors, as a specification.

Label selectors follow Kubernetes (`matchLabels` and `matchExpressions`
ANDed; an invalid selector selects nothing, as the API server would not
have it). Resource selectors follow kpt/kyaml: every field that is set
must match; within a list field any entry matches; an empty field matches
everything.
"""

import pytest

from pipelock_companion.krm import selector
from pipelock_companion.krm.item import Item

LABELS = {"app": "agent", "tier": "backend"}


@pytest.mark.parametrize(("raw", "selected"), [
    ({}, True),                                                   # the empty selector selects everything
    ({"matchLabels": {"app": "agent"}}, True),
    ({"matchLabels": {"app": "agent", "tier": "web"}}, False),    # every label must match
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "backend"]}]}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, False),
    ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, True),  # missing is not in
    ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
    ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
    ({"matchLabels": {"app": "agent"},
      "matchExpressions": [{"key": "zone", "operator": "Exists"}]}, False),  # ANDed
])
def test_label_selectors(raw, selected):
    assert selector.matches_labels(raw, LABELS) is selected


@pytest.mark.parametrize(("raw", "reason"), [
    ([], "must be a mapping"),
    ({"matchLabels": ["app"]}, "matchLabels must be a mapping"),
    ({"matchLabels": {"replicas": 1}}, "label keys and values must be strings"),
    ({"matchExpressions": {"key": "a"}}, "matchExpressions must be a list"),
    ({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}, "operator 'Equals'"),
    ({"matchExpressions": [{"key": "a", "operator": "In"}]}, "In needs at least one value"),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["b"]}]}, "Exists takes no values"),
    ({"matchExpressions": [{"operator": "Exists"}]}, "key must be a non-empty string"),
])
def test_an_invalid_label_selector_selects_nothing_and_says_why(raw, reason):
    compiled, why = selector.compile_selector(raw)
    assert compiled is None and reason in why
    assert not selector.matches_labels(raw, LABELS)


def workload(**metadata):
    return Item.from_data({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent", **metadata}})


@pytest.mark.parametrize(("sel", "selected"), [
    ({}, True),
    ({"kinds": ["StatefulSet", "Deployment"]}, True),              # any entry of a list
    ({"kinds": ["StatefulSet"]}, False),
    ({"names": ["agent"], "kinds": ["Deployment"]}, True),         # every field
    ({"names": ["agent"], "kinds": ["Job"]}, False),
    ({"namespaces": ["default"]}, True),                           # no namespace is the default one
    ({"namespaces": ["agents"]}, False),
    ({"matchLabels": {"app": "agent"}}, True),
    ({"matchLabels": {"replicas": "2"}}, True),                    # label values compared as strings
    ({"annotations": {"team": "ml"}}, True),
    ({"annotations": {"team": "web"}}, False),
    ({"annotations": {"absent": "None"}}, False),                  # a missing annotation is not "None"
])
def test_resource_selectors(sel, selected):
    item = workload(labels={"app": "agent", "replicas": 2}, annotations={"team": "ml"})
    assert selector.matches(sel, item) is selected


def test_the_default_namespace_can_be_given():
    assert selector.matches({"namespaces": ["agents"]}, workload(), default_namespace="agents")


def test_a_selector_with_no_field_set_is_empty():
    assert selector.is_empty(None) and selector.is_empty({}) and selector.is_empty({"kinds": [], "names": None})
    assert not selector.is_empty({"kinds": ["Deployment"]})
