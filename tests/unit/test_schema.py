"""The functionConfig schema refuses what must never reach a manifest."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelock_companion import settings as settings_mod
from pipelock_companion.settings import schema

from fnunit import items_of

END = "$(?!\\n)"


def _patterns(node, path="schema"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield path, value
            else:
                yield from _patterns(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _patterns(value, f"{path}[{i}]")


PATTERNS = sorted(set(_patterns(schema.schema())))


def test_the_schema_has_patterns_to_check():
    assert len(PATTERNS) >= 10


@pytest.mark.parametrize(("where", "pattern"), PATTERNS)
def test_every_pattern_is_anchored_at_the_very_end(where, pattern):
    # jsonschema matches patterns with Python's re.search, whose `$` also
    # matches before a final newline: `cluster.local\n` would pass `...$`.
    assert pattern.startswith("^") and pattern.endswith(END), where


@pytest.mark.parametrize(("where", "pattern"), PATTERNS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_no_value_a_pattern_accepts_carries_a_trailing_newline(where, pattern, data):
    value = data.draw(st.from_regex(pattern[:-len(END)], fullmatch=True))
    assert re.search(pattern, value), (where, value)
    assert not re.search(pattern, value + "\n"), (where, value)


@pytest.mark.parametrize(("field", "value"), [
    ("clusterDomain", "cluster.local\n"),
    ("noProxy", ["internal.example\n"]),
    ("image", "registry.example/pipelock\n"),
    ("version", "2.2.0\n"),
    ("agentIdentity", "deployment/agent\n"),
])
def test_a_value_with_a_newline_is_a_validation_error_naming_the_field(field, value):
    doc = {"apiVersion": "fn.pipelock.dev/v1alpha1", "kind": "CompanionProxy", "metadata": {"name": "fn"},
           "spec": {field: value}}
    _, problems = settings_mod.load(items_of(json.dumps(doc))[0])
    assert [p.severity for p in problems] == ["error"]
    assert problems[0].field["path"].startswith(f"spec.{field}")
