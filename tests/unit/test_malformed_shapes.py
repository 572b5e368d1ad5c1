"""Any value of the wrong type anywhere in a selected workload, or in a
user NetworkPolicy under `existingPolicies: tighten`, gives results (an
error naming the field where the function needs that field), never an
internal error. Every path of the input is tried with every wrong type."""

import copy

import pytest
import yaml

from fnunit import AGENT, items_of, run

WRONG = [1.5, 7, "text", True, None, [], {}, [1], {"x": 1}]

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: agents}
spec:
  podSelector: {matchLabels: {app: agent}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
    - podSelector: {matchLabels: {app: db}}
    ports:
    - {protocol: TCP, port: 443}
"""

AGENT_WITH_EVERYTHING = AGENT.replace("""        image: example.com/agent:1.0.0
""", """        image: example.com/agent:1.0.0
        command: [sh, -c, run]
        env:
        - {name: LOG, value: debug}
        volumeMounts:
        - {name: cfg, mountPath: /etc/agent, subPath: agent.yaml}
      initContainers:
      - name: fetch
        image: curlimages/curl:8.11.1
        args: [-o, /work/tool, https://example.com/tool]
      volumes:
      - name: cfg
        configMap: {name: cfg}
""")


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


def _replaced(data, path, value):
    out = copy.deepcopy(data)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def _mutations(text):
    data = yaml.safe_load(text)
    for path in _paths(data):
        if len(path) < 2 or path[0] in ("apiVersion", "kind"):
            continue
        for value in WRONG:
            yield path, _replaced(data, path, value)


def _assert_no_internal_error(documents, spec):
    text = "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in documents)
    try:
        items = items_of(text)
    except AssertionError:
        return  # the reader refused it (e.g. an empty name): an input error, reported as such
    from pipelock_companion import pipeline

    from fnunit import settings_of

    _, results = pipeline.run(items, settings_of(spec), pipeline.GENERATE, "stream")
    internal = [r.message for r in results if "internal error" in r.message]
    assert not internal, internal


@pytest.mark.parametrize("which", ["workload", "policy"])
def test_no_wrong_type_anywhere_gives_an_internal_error(which):
    spec = {"selector": {"kinds": ["Deployment"]}, "existingPolicies": "tighten", "allowEmptyMatch": True,
            "legacySidecar": "remove", "downloadingInitContainers": "rewrite"}
    agent, policy = yaml.safe_load(AGENT_WITH_EVERYTHING), yaml.safe_load(POLICY)
    tried = 0
    for _, mutated in _mutations(AGENT_WITH_EVERYTHING if which == "workload" else POLICY):
        _assert_no_internal_error([mutated, policy] if which == "workload" else [agent, mutated], spec)
        tried += 1
    assert tried > 100


@pytest.mark.parametrize(("path", "value", "field"), [
    (("spec", "template", "spec", "containers", 0, "volumeMounts"), 1.5,
     "spec.template.spec.containers[0].volumeMounts"),
    (("spec", "template", "spec", "containers", 0, "env", 0), "LOG=debug",
     "spec.template.spec.containers[0].env[0]"),
    (("spec", "template", "spec", "containers", 0, "env", 0, "value"), 3,
     "spec.template.spec.containers[0].env[0].value"),
    (("spec", "template", "spec", "initContainers"), {"name": "x"}, "spec.template.spec.initContainers"),
    (("metadata", "annotations"), ["a"], "metadata.annotations"),
])
def test_a_wrong_type_where_the_patch_works_is_an_error_naming_the_field(path, value, field):
    data = _replaced(yaml.safe_load(AGENT_WITH_EVERYTHING), path, value)
    _, results = run(yaml.safe_dump(data, sort_keys=False), {"selector": {"kinds": ["Deployment"]}})
    errors = [r for r in results if r.severity == "error"]
    assert errors and errors[0].field["path"] == field, [(r.message, r.field) for r in errors]
    assert "internal error" not in errors[0].message


def test_an_invalid_policy_under_tighten_is_left_as_it_is_with_a_warning():
    data = _replaced(yaml.safe_load(POLICY), ("spec", "egress"), 1)
    text = AGENT + "---\n" + yaml.safe_dump(data, sort_keys=False)
    items, results = run(text, {"selector": {"kinds": ["Deployment"]}, "existingPolicies": "tighten"})
    assert any("is left as it is" in r.message and r.field["path"] == "spec.egress" for r in results
               if r.severity == "warning"), [r.message for r in results]
    policy = next(i for i in items if i.kind == "NetworkPolicy" and i.name == "open")
    assert policy.new_body is None  # its text untouched
