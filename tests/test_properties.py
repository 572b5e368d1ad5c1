"""Property tests over generated workloads and configs: nothing is lost,
the output is deterministic, and a second run changes nothing."""

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelock_companion import runner, workloads
from pipelock_companion.krm import yamlio

NAMES = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?", fullmatch=True)
# Scalars a YAML 1.1 reader would re-type; they must come back as written.
TRICKY = st.sampled_from(["on", "yes", "NO", "0644", "1:20", "2026-01-01", "~", "0o17", "true", "1e3", "plain"])
NAMESPACES = st.sampled_from(["agents", "team-a", None])
KINDS = st.sampled_from(sorted(workloads.WORKLOAD_KINDS))
API_VERSIONS = {"apps": "apps/v1", "batch": "batch/v1", "argoproj.io": "argoproj.io/v1alpha1"}


def _pod_template(name, env):
    return {
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": [{"name": "main", "image": "example.com/a:1", "env": env}]},
    }


@st.composite
def workload(draw):
    kind = draw(KINDS)
    name = draw(NAMES)
    env = [{"name": f"V{i}", "value": v} for i, v in enumerate(draw(st.lists(TRICKY, max_size=3)))]
    template = _pod_template(name, env)
    spec = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if kind in ("Job",):
        spec = {"template": template}
    if kind == "CronJob":
        spec = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}
    meta = {"name": name}
    ns = draw(NAMESPACES)
    if ns:
        meta["namespace"] = ns
    inject = draw(st.sampled_from(["true", "false", None]))
    if inject:
        meta["annotations"] = {"pipelock.dev/inject": inject}
    group = workloads.WORKLOAD_KINDS[kind][0][0]
    return {"apiVersion": API_VERSIONS[group], "kind": kind, "metadata": meta, "spec": spec}


@st.composite
def config_map(draw):
    data = {f"k{i}": v for i, v in enumerate(draw(st.lists(TRICKY, max_size=4)))}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": draw(NAMES) + "-cm"}, "data": data}


@st.composite
def function_config(draw):
    spec = {}
    if draw(st.booleans()):
        spec["selector"] = {"kinds": draw(st.lists(KINDS, min_size=1, max_size=3, unique=True))}
    if draw(st.booleans()):
        spec["preset"] = draw(st.sampled_from(["balanced", "audit"]))
    if draw(st.booleans()):
        spec["replicas"] = draw(st.integers(1, 5))
    if not spec:
        return None
    return {"apiVersion": "fn.pipelock.dev/v1alpha1", "kind": "CompanionProxy", "metadata": {"name": "c"}, "spec": spec}


def _resource_list(items, config):
    doc = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if config:
        doc["functionConfig"] = config
    # Plain scalars written as they would be in a user's file.
    text = yamlio.dump(doc)
    for value in ("on", "yes", "NO", "0644", "1:20", "2026-01-01", "~", "0o17", "true", "1e3"):
        text = text.replace(f"'{value}'", value)
    return text


def _ids(items):
    return sorted((i.get("kind"), (i.get("metadata") or {}).get("namespace") or "", i["metadata"]["name"])
                  for i in items)


ITEMS = st.lists(st.one_of(workload(), config_map()), max_size=6,
                 unique_by=lambda i: (i["kind"], i["metadata"]["name"]))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _items_of(text):
    return (yaml.safe_load(text) or {}).get("items") or []


@SETTINGS
@given(ITEMS, function_config())
def test_nothing_lost_and_untouched_items_unchanged(items, config):
    text = _resource_list(items, config)
    out, results, _ = runner.process(text.encode())
    output = _items_of(out)
    assert set(_ids(yaml.safe_load(text)["items"])) <= set(_ids(output))
    # Every input item's text that the function did not select is in the output verbatim.
    before = runner.reader.read(text)
    after = runner.reader.read(out)
    after_text = {(i.kind, i.namespace, i.name): i.body() for i in after.items}
    for item in before.items:
        # (`true` unquoted is a boolean; the function reads the annotation as text)
        patched = str(item.annotations.get("pipelock.dev/inject")).lower() == "true" or config is not None
        if not workloads.is_workload(item) or not patched:
            assert after_text[(item.kind, item.namespace, item.name)] == item.body()
    assert not any("internal error" in r.message for r in results)


@SETTINGS
@given(ITEMS, function_config())
def test_deterministic_and_idempotent(items, config):
    text = _resource_list(items, config)
    first, results, _ = runner.process(text.encode())
    again, _, _ = runner.process(text.encode())
    assert first == again
    if any(r.severity == "error" for r in results):
        return
    second_input = first.split("\nresults:\n", 1)[0] + "\n"
    second, results2, _ = runner.process(second_input.encode())
    assert second.split("\nresults:\n", 1)[0] == first.split("\nresults:\n", 1)[0]
    assert not any(r.severity == "error" for r in results2)
