"""The probe Job and its script ConfigMap, as plain dicts."""

import ast
import copy
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from pipelock_companion.probes import job as probe_job
from pipelock_companion.probes.job import (
    DEFAULT_PROBE_IMAGE,
    build_probe_job,
    load_probe_script,
    probe_job_name,
)

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
AGENT_LABELS = {"app": "research-agent", "tier": "agents"}
PROXY_URL = "http://research-agent-pipelock.agents.svc.cluster.local:8888"
NO_PROXY = "localhost,127.0.0.1"
SCRIPT = "#!/bin/sh\necho probe\n"


def build(**overrides):
    args = {
        "workload_name": "research-agent",
        "namespace": "agents",
        "agent_pod_labels": AGENT_LABELS,
        "proxy_url": PROXY_URL,
        "no_proxy": NO_PROXY,
        "script": SCRIPT,
    }
    args.update(overrides)
    return build_probe_job(**args)


def job_of(**overrides):
    return build(**overrides)[1]


def pod_spec(job):
    return job["spec"]["template"]["spec"]


def container(job):
    (only,) = pod_spec(job)["containers"]
    return only


def env_of(job):
    return {item["name"]: item["value"] for item in container(job)["env"]}


# --- shape and names ---------------------------------------------------------


def test_builds_a_config_map_and_a_job():
    config_map, job = build()

    assert (config_map["apiVersion"], config_map["kind"]) == ("v1", "ConfigMap")
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")


def test_names_and_namespace():
    config_map, job = build()

    assert job["metadata"]["name"] == "research-agent-pipelock-probe"
    assert config_map["metadata"]["name"] == "research-agent-pipelock-probe"
    assert job["metadata"]["namespace"] == config_map["metadata"]["namespace"] == "agents"


def test_no_namespace_is_left_to_the_orchestrator():
    # A namespace-less agent gets its namespace from kpt/kustomize later; the
    # probe must land in the same one, so it carries none either.
    config_map, job = build(namespace="")

    assert "namespace" not in job["metadata"] and "namespace" not in config_map["metadata"]


@pytest.mark.parametrize("workload", ["Research.Agent_v2", "a" * 63, "x" * 200, "web-" * 20, "9lives"])
def test_name_is_a_dns_label_of_at_most_63_chars(workload):
    name = probe_job_name(workload)

    assert len(name) <= 63
    assert DNS_LABEL.match(name), name
    assert name.endswith("-pipelock-probe")


def test_name_is_sanitized_like_other_generated_names():
    assert probe_job_name("Research.Agent_v2") == "research-agent-v2-pipelock-probe"


def test_long_names_sharing_a_prefix_get_distinct_probes():
    prefix = "a-very-long-agent-deployment-name-for-the-research-team"

    first = probe_job_name(prefix + "-east")
    second = probe_job_name(prefix + "-west")

    assert first != second
    assert first.startswith("a-very-long-agent")


def test_name_that_fits_is_not_hashed():
    workload = "w" * (63 - len("-pipelock-probe"))

    assert probe_job_name(workload) == workload + "-pipelock-probe"


@pytest.mark.parametrize("workload", ["", "---", "..."])
def test_name_with_nothing_usable_is_an_error(workload):
    with pytest.raises(ValueError, match="workload name"):
        probe_job_name(workload)


# --- labels -------------------------------------------------------------------


def test_pod_carries_the_agent_labels_and_the_probe_label():
    job = job_of()

    assert job["spec"]["template"]["metadata"]["labels"] == {**AGENT_LABELS, "pipelock.dev/probe": "true"}


def test_pod_gets_no_label_beyond_the_agents_and_the_probe_label():
    # An extra pod label could let some other policy select the probe but not
    # the agent, and the probe would no longer speak for the agent.
    pod_labels = job_of(common_labels={"app.kubernetes.io/version": "0.1.0"})["spec"]["template"]["metadata"]["labels"]

    assert set(pod_labels) == set(AGENT_LABELS) | {"pipelock.dev/probe"}


def test_objects_carry_managed_by_probe_and_common_labels():
    config_map, job = build(common_labels={"app.kubernetes.io/version": "0.1.0"})

    for obj in (config_map, job):
        assert obj["metadata"]["labels"] == {
            "app.kubernetes.io/version": "0.1.0",
            "app.kubernetes.io/managed-by": "pipelock-companion",
            "pipelock.dev/probe": "true",
        }


def test_job_leaves_its_selector_to_kubernetes():
    assert "selector" not in job_of()["spec"]


def test_empty_agent_labels_is_an_error():
    with pytest.raises(ValueError, match="agent"):
        build(agent_pod_labels={})


# --- environment ------------------------------------------------------------


def test_proxy_variables_in_both_cases():
    env = env_of(job_of())

    for name in ("PROXY_URL", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        assert env[name] == PROXY_URL
    assert env["NO_PROXY"] == env["no_proxy"] == NO_PROXY


def test_no_no_proxy_variable_when_the_agent_has_none():
    env = env_of(job_of(no_proxy=""))

    assert "NO_PROXY" not in env and "no_proxy" not in env


def test_probe_settings_defaults():
    env = env_of(job_of())

    assert env["EXTERNAL_URL"] == "https://example.com"
    assert env["EXTERNAL_TCP"] == "1.1.1.1:443"
    assert env["PROBE_TIMEOUT"] == "5"
    # Empty settings stay out so the script's defaults (and its SKIP) apply.
    assert "NO_PROXY_URL" not in env and "SECRET_URL" not in env


def test_probe_settings_given():
    env = env_of(
        job_of(
            external_url="https://api.example.org/health",
            external_tcp="203.0.113.9:443",
            no_proxy_url="http://kubernetes.default.svc.cluster.local",
            secret_url="http://example.org/?token=x",
            probe_timeout=3,
        )
    )

    assert env["EXTERNAL_URL"] == "https://api.example.org/health"
    assert env["EXTERNAL_TCP"] == "203.0.113.9:443"
    assert env["NO_PROXY_URL"] == "http://kubernetes.default.svc.cluster.local"
    assert env["SECRET_URL"] == "http://example.org/?token=x"
    assert env["PROBE_TIMEOUT"] == "3"


def test_env_values_are_all_strings():
    for item in container(job_of())["env"]:
        assert isinstance(item["value"], str), item


def test_empty_proxy_url_is_an_error():
    with pytest.raises(ValueError, match="proxy_url"):
        build(proxy_url="")


# --- the script ------------------------------------------------------------


def test_script_is_in_the_config_map():
    config_map, _ = build()

    assert config_map["data"] == {"probe.sh": SCRIPT}


def test_script_is_mounted_as_a_directory_and_run_with_sh():
    config_map, job = build()
    (volume,) = pod_spec(job)["volumes"]
    (mount,) = container(job)["volumeMounts"]

    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert mount["name"] == volume["name"]
    assert mount["mountPath"] == "/probe"
    assert mount["readOnly"] is True
    assert "subPath" not in mount
    assert container(job)["command"] == ["sh", "/probe/probe.sh"]


def test_empty_script_is_an_error():
    with pytest.raises(ValueError, match="script"):
        build(script="")


def test_load_probe_script_reads_the_packaged_file():
    packaged = Path(probe_job.__file__).with_name("probe.sh").read_text(encoding="utf-8")

    assert load_probe_script() == packaged
    assert load_probe_script().startswith("#!/bin/sh")


# --- running bounded and locked down -------------------------------------------


def test_job_runs_once_and_goes_away():
    job = job_of()
    spec = job["spec"]

    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 300
    assert spec["ttlSecondsAfterFinished"] == 3600
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_deadline_must_leave_room_for_every_probe():
    # Each bounded curl run of probe.sh reads its result once.
    assert load_probe_script().count('read_result "$(') == probe_job.PROBE_COUNT
    limit = probe_job.PROBE_COUNT * 60
    with pytest.raises(ValueError, match="active_deadline_seconds"):
        build(probe_timeout=60, active_deadline_seconds=limit)

    assert job_of(probe_timeout=60, active_deadline_seconds=limit + 1)["spec"]["activeDeadlineSeconds"] == limit + 1


@pytest.mark.parametrize("timeout", [0, -1, 2.5, True, "5"])
def test_probe_timeout_must_be_a_positive_integer(timeout):
    with pytest.raises(ValueError, match="probe_timeout"):
        build(probe_timeout=timeout)


def test_pod_security():
    spec = pod_spec(job_of())

    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    # The curl image names its user; runAsNonRoot can only check a number.
    assert isinstance(spec["securityContext"]["runAsUser"], int) and spec["securityContext"]["runAsUser"] > 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "hostNetwork" not in spec


def test_container_security():
    context = container(job_of())["securityContext"]

    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_small_resource_requests_and_limits():
    resources = container(job_of())["resources"]

    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


def test_probe_pod_never_turns_ready():
    # It carries the agent labels: a Ready probe pod would join the endpoints
    # of any Service that selects the agent.
    assert pod_spec(job_of())["readinessGates"] == [{"conditionType": "pipelock.dev/probe-never-ready"}]


def test_default_image_is_pinned_to_a_version():
    repository, _, tag = DEFAULT_PROBE_IMAGE.rpartition(":")

    assert repository == "curlimages/curl"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag)
    assert container(job_of())["image"] == DEFAULT_PROBE_IMAGE


def test_image_can_be_replaced():
    assert container(job_of(image="registry.example/curl:8.11.1"))["image"] == "registry.example/curl:8.11.1"


# --- purity --------------------------------------------------------------------


def test_same_inputs_give_the_same_objects():
    assert json.dumps(build(), sort_keys=False) == json.dumps(build(), sort_keys=False)


def test_inputs_are_not_changed():
    labels = copy.deepcopy(AGENT_LABELS)
    common = {"app.kubernetes.io/version": "0.1.0"}

    build(agent_pod_labels=labels, common_labels=common)

    assert labels == AGENT_LABELS
    assert common == {"app.kubernetes.io/version": "0.1.0"}


def test_objects_share_no_mutable_parts():
    config_map, job = build()
    config_map["metadata"]["labels"]["x"] = "y"

    assert "x" not in job["metadata"]["labels"]


def test_objects_serialize_as_plain_yaml():
    documents = list(yaml.safe_load_all(yaml.safe_dump_all(build())))

    assert documents == build()


def test_job_module_imports_only_the_standard_library_and_no_dataclasses():
    # Our own package (relative imports) is fine; nothing from outside it but the stdlib.
    tree = ast.parse(Path(probe_job.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add((node.module or "").split(".")[0])

    assert imported <= set(sys.stdlib_module_names)
    assert "dataclasses" not in imported
