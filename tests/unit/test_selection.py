"""Selection, ownership and the fail-closed rules (issue 10), in process.

Which workloads become agents, which objects are the function's own, and
when a run must fail because an agent the cluster would run is not locked
down.
"""

import pytest

from pipelock_companion import pipeline, selection

from fnunit import AGENT, items_of, messages, run, settings_of


def kinds_and_names(items):
    return [(i.kind, i.name) for i in items]


def agent(name="agent", kind="Deployment", namespace="agents", labels=None, annotations=None, api="apps/v1"):
    text = AGENT.replace("name: agent\n", f"name: {name}\n", 1).replace("kind: Deployment", f"kind: {kind}")
    text = text.replace("apiVersion: apps/v1", f"apiVersion: {api}").replace("namespace: agents",
                                                                          f"namespace: {namespace}")
    if labels is not None:
        text = text.replace("  labels: {app: agent}\nspec:", f"  labels: {labels}\nspec:", 1)
    if annotations is not None:
        text = text.replace("  labels:", f"  annotations: {annotations}\n  labels:", 1)
    return text


SELECT_APP_AGENT = {"selector": {"matchLabels": {"app": "agent"}}}


# --- a label is not ownership ----------------------------------------------------

def test_a_workload_wearing_our_managed_by_label_is_still_selected():
    text = agent(labels="{app: agent, app.kubernetes.io/managed-by: pipelock-companion}")
    selected, results = selection.select(items_of(text), settings_of(SELECT_APP_AGENT))
    assert kinds_and_names(selected) == [("Deployment", "agent")]
    assert any("no agent workload in the input owns it" in m for m in messages(results, "warning"))


def test_our_proxy_deployment_is_known_by_the_agent_it_belongs_to():
    first, results = run(agent(), {"selector": {"kinds": ["Deployment"]}})
    assert not messages(results, "error")
    assert ("Deployment", "agent-pipelock") in kinds_and_names(first)
    # The second run sees the proxy Deployment; a kind-only selector matches
    # it, but it is the companion of the agent in the input: not an agent.
    text = "---\n".join(i.body() + "\n" for i in first)
    selected, _ = selection.select(items_of(text), settings_of({"selector": {"kinds": ["Deployment"]}}))
    assert kinds_and_names(selected) == [("Deployment", "agent")]


def test_a_deployment_named_like_a_companion_but_not_wearing_our_labels_is_a_workload_in_the_way():
    intruder = agent(name="agent-pipelock", labels="{app: other}").replace("{app: agent}", "{app: other}")
    _, results = run(agent() + "---\n" + intruder, {"selector": {"kinds": ["Deployment"]}})
    errors = messages(results, "error")
    assert any("would share" in m or "not a companion made by pipelock-companion" in m for m in errors), errors


# --- duplicate ids -----------------------------------------------------------------

@pytest.mark.parametrize("second_namespace", ["agents", None])
def test_two_objects_with_one_id_are_an_error(second_namespace):
    policy = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n"
              "{}spec: {{podSelector: {{}}}}\n")
    first = policy.format("  namespace: default\n")
    second = policy.format(f"  namespace: {second_namespace}\n" if second_namespace == "default" else "")
    _, results = run(agent() + "---\n" + first + "---\n" + second, SELECT_APP_AGENT)
    errors = messages(results, "error")
    assert any("NetworkPolicy.networking.k8s.io default/p is in the input twice" in m for m in errors), errors
    assert not any("companion proxy topology" in m for m in messages(results))


def test_the_same_name_in_two_groups_or_kinds_is_not_a_duplicate():
    a = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: agents}\n"
    b = "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: agents}\n"
    c = "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: x, namespace: agents}\n"
    _, results = run("---\n".join([agent(), a, b, c]), SELECT_APP_AGENT)
    assert not messages(results, "error")


# --- generated names ------------------------------------------------------------

def renamed_statefulset():
    """A StatefulSet named like the Deployment, its proxy renamed, and pods
    of its own: with the same pod labels each workload could use the other's
    proxy (tests/test_boundary.py), which the boundary check refuses."""
    statefulset = agent(kind="StatefulSet", annotations="{pipelock.dev/proxy-name: agent-sts-proxy}")
    return statefulset.replace("matchLabels: {app: agent}", "matchLabels: {app: agent-sts}").replace(
        "      labels: {app: agent}", "      labels: {app: agent-sts}")


def test_two_kinds_with_one_name_get_distinct_companions_once_one_is_renamed():
    statefulset = renamed_statefulset()
    items, results = run(agent() + "---\n" + statefulset, SELECT_APP_AGENT)
    assert not messages(results, "error"), messages(results)
    generated = [i for i in items if i.generated]
    ids = [(i.kind, i.namespace, i.name) for i in generated]
    assert len(ids) == len(set(ids)) == 12
    assert ("NetworkPolicy", "agents", "agent-sts-proxy-egress") in ids


def test_two_kinds_with_one_name_and_no_proxy_name_are_refused():
    _, results = run(agent() + "---\n" + agent(kind="StatefulSet"), SELECT_APP_AGENT)
    assert any("would share the companion proxy 'agent-pipelock'" in m for m in messages(results, "error"))


def test_every_generated_name_is_valid_for_its_kind_even_for_a_long_workload_name():
    long_name = "a" * 250
    items, results = run(agent(name=long_name), SELECT_APP_AGENT)
    assert not messages(results, "error"), messages(results)
    for item in (i for i in items if i.generated):
        assert len(item.name) <= (63 if item.kind in ("Service", "Deployment") else 253), (item.kind, item.name)
        for value in item.labels.values():
            assert len(value) <= 63


# --- fail closed: nothing matched ------------------------------------------------

def test_a_selector_that_matches_nothing_is_an_error():
    _, results = run(agent(), {"selector": {"matchLabels": {"app": "agnet"}}})
    assert any("no workload in the input is selected" in m for m in messages(results, "error"))


def test_allow_empty_match_makes_it_a_warning():
    _, results = run(agent(), {"selector": {"matchLabels": {"app": "agnet"}}, "allowEmptyMatch": True})
    assert not messages(results, "error")
    assert any("no workload selected" in m for m in messages(results, "warning"))


def test_without_a_function_config_nothing_annotated_is_only_a_warning():
    _, results = run(agent())
    assert not messages(results, "error")
    assert any("no workload selected" in m for m in messages(results, "warning"))


def test_a_workloads_entry_missing_from_an_input_with_resources_is_an_error():
    spec = {"workloads": [{"kind": "Deployment", "name": "agnet", "namespace": "agents",
                           "podLabels": {"app": "agent"}}], **SELECT_APP_AGENT}
    _, results = run(agent(), spec)
    assert any("spec.workloads[0] names Deployment agnet" in m for m in messages(results, "error"))


def test_a_generator_sees_no_resources_and_generates_for_its_workloads_entries():
    spec = {"workloads": [{"kind": "Deployment", "name": "agent", "namespace": "agents",
                           "podLabels": {"app": "agent"}}]}
    items, results = pipeline.run([], settings_of(spec), pipeline.GENERATE, "resourcelist")
    assert not messages(results, "error")
    assert len(items) == 6


# --- verify fails closed ------------------------------------------------------------

def test_verify_fails_for_a_selected_workload_that_is_not_managed():
    _, results = run(agent(annotations='{pipelock.dev/inject: "true"}'), mode=pipeline.VERIFY)
    assert any("is selected (pipelock.dev/inject) but not managed" in m for m in messages(results, "error"))


def test_verify_fails_when_there_is_nothing_to_verify():
    _, results = run("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", mode=pipeline.VERIFY)
    assert any("no managed agent workload" in m for m in messages(results, "error"))


def test_verify_passes_on_the_functions_own_output():
    items, results = run(agent(annotations='{pipelock.dev/inject: "true"}'))
    assert not messages(results, "error")
    text = "---\n".join(i.body() + "\n" for i in items)
    _, verified = run(text, mode=pipeline.VERIFY)
    assert not messages(verified, "error"), messages(verified)


# --- local config ----------------------------------------------------------------

def test_a_selected_workload_marked_local_config_is_patched_with_a_warning():
    text = agent(annotations='{config.kubernetes.io/local-config: "true"}')
    items, results = run(text, SELECT_APP_AGENT)
    assert any("kubectl apply -f` deploys it" in m for m in messages(results, "warning"))
    assert items[0].annotations.get("pipelock.dev/topology") == "companion-proxy"


# --- refresh restores --------------------------------------------------------------

def test_a_changed_companion_is_restored_with_a_warning():
    first, _ = run(agent(), SELECT_APP_AGENT)
    policy = next(i for i in first if i.kind == "NetworkPolicy" and i.name == "agent-pipelock-egress")
    tampered = policy.body().replace("  labels:", '  annotations:\n    config.kubernetes.io/local-config: "true"\n'
                                     "  labels:", 1)
    text = "---\n".join((tampered if i is policy else i.body()) + "\n" for i in first)
    second, results = run(text, SELECT_APP_AGENT)
    restored = next(i for i in second if i.kind == "NetworkPolicy" and i.name == "agent-pipelock-egress")
    assert "config.kubernetes.io/local-config" not in restored.annotations
    warnings = messages(results, "warning")
    assert any("metadata.annotations[config.kubernetes.io/local-config]" in m and "restored" in m
               for m in warnings), warnings


def test_an_unchanged_companion_is_refreshed_silently():
    first, _ = run(agent(), SELECT_APP_AGENT)
    text = "---\n".join(i.body() + "\n" for i in first)
    second, results = run(text, SELECT_APP_AGENT)
    assert not messages(results, "warning")
    assert [i.body().rstrip("\n") for i in second] == [i.body().rstrip("\n") for i in first]


# --- v1 List wrappers --------------------------------------------------------------

def _listed(*documents):
    """A `kind: List` holding the documents as its items."""
    body = "".join("- " + doc.replace("\n", "\n  ").rstrip(" ") for doc in documents)
    return "apiVersion: v1\nkind: List\nitems:\n" + body


def test_an_agent_inside_a_list_is_selected_and_patched_in_place():
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: agents}\ndata: {k: v}\n"
    items, results = run(_listed(agent(), other), SELECT_APP_AGENT)
    assert not messages(results, "error"), messages(results)
    wrapper = items[0]
    assert wrapper.kind == "List"
    patched = wrapper.children[0]
    assert patched.annotations["pipelock.dev/topology"] == "companion-proxy"
    assert "HTTPS_PROXY" in wrapper.body()  # the List's text carries the patch
    assert wrapper.children[1].body() == items_of(_listed(agent(), other))[0].children[1].body()
    assert ("Deployment", "agent-pipelock") in kinds_and_names(items)


def test_a_policy_inside_a_list_counts_for_the_boundary():
    open_egress = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open, namespace: agents}\n"
                   "spec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]\n")
    _, results = run(agent() + "---\n" + _listed(open_egress), SELECT_APP_AGENT)
    assert any("agents/open" in m for m in messages(results, "error")), messages(results)


def test_a_duplicate_hidden_in_a_list_is_found():
    _, results = run(agent() + "---\n" + _listed(agent()), SELECT_APP_AGENT)
    assert any("is in the input twice" in m for m in messages(results, "error"))


def test_probe_objects_are_named_after_the_proxy_so_two_agents_never_share_them():
    statefulset = renamed_statefulset()
    items, results = run(agent() + "---\n" + statefulset, {**SELECT_APP_AGENT, "probes": {"enabled": True}})
    assert not messages(results, "error"), messages(results)
    probes = sorted((i.kind, i.name) for i in items if i.generated and i.kind in ("Job", "ConfigMap")
                    and i.name.endswith("-probe"))
    assert probes == [("ConfigMap", "agent-pipelock-probe"), ("ConfigMap", "agent-sts-proxy-probe"),
                      ("Job", "agent-pipelock-probe"), ("Job", "agent-sts-proxy-probe")]
