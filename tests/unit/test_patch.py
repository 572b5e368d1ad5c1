"""The workload patch as a pure function: workload data in, new data and
findings out (topology.patch.patch)."""

import copy

import pytest

from pipelock_companion import settings as settings_mod
from pipelock_companion.topology import patch
from pipelock_companion.topology.agent import Agent

PROXY_URL = "http://agent-pipelock.agents.svc.cluster.local:8888"


def workload(containers=None, init_containers=None, volumes=None):
    spec = {"containers": containers or [{"name": "agent", "image": "example.com/agent:1"}]}
    if init_containers is not None:
        spec["initContainers"] = init_containers
    if volumes is not None:
        spec["volumes"] = volumes
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent", "namespace": "agents"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}}


def settings(**spec):
    return settings_mod.Settings.from_spec(spec)


def agent_for(s):
    return Agent(item=None, kind="Deployment", api_version="apps/v1", name="agent", namespace="agents",
                 proxy="agent-pipelock", identity="deployment/agent", selector={"matchLabels": {"app": "agent"}},
                 pod_labels={"app": "agent"}, settings=s)


def patched(data, **spec):
    s = settings(**spec)
    return patch.patch(data, agent_for(s), s)


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def pod_spec(data):
    return data["spec"]["template"]["spec"]


def severities(findings):
    return [f.severity for f in findings]


def test_every_container_init_container_and_native_sidecar_gets_the_proxy_env_in_both_cases():
    data = workload(containers=[{"name": "agent"}, {"name": "tool"}],
                    init_containers=[{"name": "setup"}, {"name": "sidecar", "restartPolicy": "Always"}])
    new, findings = patched(data)
    assert not findings
    for field in ("initContainers", "containers"):
        for container in pod_spec(new)[field]:
            env = env_of(container)
            assert env["HTTPS_PROXY"] == env["https_proxy"] == env["HTTP_PROXY"] == env["http_proxy"] == PROXY_URL
            assert env["NO_PROXY"] == env["no_proxy"]
            assert ".svc" not in env["NO_PROXY"].split(",") and ".cluster.local" not in env["NO_PROXY"].split(",")


def test_workload_and_pod_template_get_the_topology_annotations():
    new, _ = patched(workload())
    for meta in (new["metadata"], new["spec"]["template"]["metadata"]):
        assert meta["annotations"] == {"pipelock.dev/topology": "companion-proxy",
                                       "pipelock.dev/proxy-name": "agent-pipelock",
                                       "pipelock.dev/proxy-service": "agent-pipelock.agents.svc.cluster.local"}


def test_the_input_is_not_changed_and_a_second_patch_changes_nothing():
    data = workload()
    before = copy.deepcopy(data)
    new, _ = patched(data)
    assert data == before
    again, findings = patched(new)
    assert again == new and not findings


def test_an_existing_variable_with_another_value_is_a_conflict_naming_the_field():
    data = workload(containers=[{"name": "agent", "env": [{"name": "HTTPS_PROXY", "value": "http://squid:3128"}]}])
    new, findings = patched(data)
    assert severities(findings) == ["error"]
    assert findings[0].path == "spec.template.spec.containers[0].env[0].value"
    assert findings[0].current == "http://squid:3128" and findings[0].proposed == PROXY_URL
    assert env_of(pod_spec(new)["containers"][0])["HTTPS_PROXY"] == "http://squid:3128"  # never overwritten


def test_a_variable_from_value_from_is_a_conflict():
    data = workload(containers=[{"name": "agent", "env": [
        {"name": "no_proxy", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "y"}}}]}])
    _, findings = patched(data)
    assert severities(findings) == ["error"]
    assert findings[0].path.endswith("env[0].valueFrom")


def test_a_legacy_sidecar_is_reported_or_removed_with_its_volumes_and_loopback_env():
    data = workload(
        containers=[{"name": "agent", "env": [{"name": "HTTPS_PROXY", "value": "http://127.0.0.1:8888"}]},
                    {"name": "pipelock", "volumeMounts": [{"name": "pipelock-config", "mountPath": "/etc/pl"}]}],
        volumes=[{"name": "pipelock-config", "configMap": {"name": "pl"}}, {"name": "data", "emptyDir": {}}])
    _, warned = patched(data)
    assert "warning" in severities(warned) and "error" in severities(warned)  # loopback env conflicts unless removed
    new, findings = patched(data, legacySidecar="remove")
    assert "error" not in severities(findings)
    assert [c["name"] for c in pod_spec(new)["containers"]] == ["agent"]
    assert pod_spec(new)["volumes"] == [{"name": "data", "emptyDir": {}}]
    assert env_of(pod_spec(new)["containers"][0])["HTTPS_PROXY"] == PROXY_URL


@pytest.mark.parametrize("mode", ["warn", "rewrite"])
def test_an_init_container_that_downloads_pipelock(mode):
    download = {"name": "get-pipelock", "image": "curlimages/curl:8.11.1",
                "args": ["-fsSL", "-o", "/tools/pipelock", "https://github.com/x/pipelock/releases/pipelock"]}
    new, findings = patched(workload(init_containers=[download]), downloadingInitContainers=mode)
    container = pod_spec(new)["initContainers"][0]
    if mode == "warn":
        assert severities(findings) == ["warning"]
        assert container["args"] == download["args"]
    else:
        assert severities(findings) == ["info"]
        assert container["image"] == "ghcr.io/luckypipewrench/pipelock:2.2.0"
        assert container["command"] == ["/pipelock", "install", "/tools/pipelock"]
        assert "args" not in container


def test_a_subpath_mount_of_a_pipelock_config_is_a_warning():
    data = workload(containers=[{"name": "agent", "volumeMounts": [
        {"name": "cfg", "mountPath": "/etc/pipelock/pipelock.yaml", "subPath": "pipelock.yaml"}]}])
    _, findings = patched(data)
    assert severities(findings) == ["warning"]
    assert findings[0].path == "spec.template.spec.containers[0].volumeMounts[0].subPath"
