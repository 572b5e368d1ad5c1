"""Helpers for the in-process unit tests of the steps: resources from YAML
text, the function's modes run on them without a subprocess."""

import textwrap

import yaml

from pipelock_companion import pipeline, settings
from pipelock_companion.krm import reader


def items_of(text):
    """The items of a plain YAML stream, as the reader gives them."""
    parsed = reader.read(textwrap.dedent(text), plain=True)
    assert not parsed.errors, [e.describe() for e in parsed.errors]
    return parsed.items


def settings_of(spec=None):
    """Settings as a CompanionProxy with this spec gives them (None: no functionConfig)."""
    if spec is None:
        return settings.Settings()
    loaded, problems = settings.load(_config_item(spec))
    assert not [p for p in problems if p.severity == "error"], [p.message for p in problems]
    return loaded


def _config_item(spec):
    doc = {"apiVersion": "fn.pipelock.dev/v1alpha1", "kind": "CompanionProxy", "metadata": {"name": "fn"},
           "spec": spec}
    return items_of(yaml.safe_dump(doc))[0]


def run(text, spec=None, mode=pipeline.GENERATE, fmt="stream"):
    """(items, results) of running a mode over the resources in `text`."""
    return pipeline.run(items_of(text), settings_of(spec), mode, fmt)


def messages(results, severity=None):
    return [r.message for r in results if severity is None or r.severity == severity]


AGENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: agents
  labels: {app: agent}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: example.com/agent:1.0.0
"""
