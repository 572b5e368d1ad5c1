"""The live bypass-closure probe as a Kubernetes Job (plus its script ConfigMap).

The Job's pod carries the agent's pod labels, so the agent's NetworkPolicies
select it too: what the probe can reach, the agent can reach. It runs
probe.sh (shipped in this package) and fails when any probe fails, so a CI can
apply it, wait for the Job and read its log.

`build(agent, settings)` gives the probe objects of one managed agent;
`build_probe_job` is the pure builder under it (plain dicts in, plain dicts
out, no I/O); `load_probe_script` is the one function that reads the
packaged script.
"""

import os

from .. import conventions as C
from ..topology import names, tls
from ..topology.meta import container_security

DEFAULT_PROBE_IMAGE = C.DEFAULT_PROBE_IMAGE
DEFAULT_PROBE_TIMEOUT = 5
DEFAULT_ACTIVE_DEADLINE_SECONDS = 300
DEFAULT_TTL_SECONDS_AFTER_FINISHED = 3600

PROBE_LABEL = C.PROBE_LABEL
SCRIPT_NAME = "probe.sh"
SCRIPT_DIR = "/probe"
# curl runs of one probe run (tls-passthrough makes two): the deadline must
# leave room for each to time out.
PROBE_COUNT = 9

NAME_SUFFIX = "-pipelock-probe"
# The curl image's user is a name, not a number: runAsNonRoot needs a numeric
# UID to check, so the pod names one (nobody).
PROBE_UID = C.NOBODY
# No controller ever sets this condition, so the probe pod never turns Ready
# and never joins the endpoints of a Service that selects the agent labels.
NEVER_READY_GATE = "pipelock.dev/probe-never-ready"

def build(agent, settings):
    """[script ConfigMap, Job] for one managed agent."""
    # A host the agent reaches directly by design proves nothing as a
    # NO_PROXY probe; the first other NO_PROXY entry is probed.
    outside = [entry for entry in agent.no_proxy if entry not in agent.direct_hosts and not entry.startswith(".")]
    probes = settings.probes
    objects = build_probe_job(
        agent.name, agent.namespace, agent.pod_labels, agent.proxy_url, ",".join(agent.no_proxy),
        script=load_probe_script(),
        image=probes.image,
        external_url=probes.external_url,
        external_tcp=probes.external_tcp,
        no_proxy_url=f"http://{outside[0]}/" if outside else "",
        tls_interception=settings.tls is not None,
        passthrough_url=probes.passthrough_url or "",
        common_labels={C.VERSION_LABEL: C.VERSION},
        name=names.probe_name(agent.proxy),
    )
    if settings.agent_trust:
        _with_trust(objects[1], settings)
    return objects


def _with_trust(job, settings):
    """The probe pod trusts the Pipelock CA exactly as the agent does."""
    spec = job["spec"]["template"]["spec"]
    container = spec["containers"][0]
    container["env"] += _env_list(dict(tls.trust_env()))
    container["env"].append({"name": "PIPELOCK_CA", "value": tls.CA_PATH})
    container["volumeMounts"].append(tls.trust_mount())
    tls.add_trust(spec, settings)


def load_probe_script() -> str:
    """The text of probe.sh, read from the installed package (beside this
    module, as the schema is read: importlib.resources costs a run ~15 ms
    of imports whether or not it probes)."""
    with open(os.path.join(os.path.dirname(__file__), SCRIPT_NAME), encoding="utf-8") as f:
        return f.read()


def probe_job_name(workload_name: str) -> str:
    """`<workload>-pipelock-probe` as a DNS-1123 label of at most 63 chars
    (a long workload name gives up its end, never the suffix, to a hash)."""
    return names.label(workload_name, NAME_SUFFIX, "workload name")


def build_probe_job(
    workload_name: str,
    namespace: str,
    agent_pod_labels: dict,
    proxy_url: str,
    no_proxy: str,
    *,
    script: str,
    image: str = DEFAULT_PROBE_IMAGE,
    external_url: str = C.DEFAULT_PROBE_URL,
    external_tcp: str = C.DEFAULT_PROBE_TCP,
    no_proxy_url: str = "",
    secret_url: str = "",
    tls_interception: bool = False,
    passthrough_url: str = "",
    probe_timeout: int = DEFAULT_PROBE_TIMEOUT,
    active_deadline_seconds: int = DEFAULT_ACTIVE_DEADLINE_SECONDS,
    ttl_seconds_after_finished: int = DEFAULT_TTL_SECONDS_AFTER_FINISHED,
    common_labels: dict | None = None,
    name: str | None = None,
) -> list:
    """[ConfigMap holding the script, Job running it] for one agent workload.

    `no_proxy_url` empty skips the NO_PROXY probe; `secret_url` empty lets the
    script derive one from `external_url`. With `tls_interception` the
    script checks that `external_url` is intercepted, and `passthrough_url`
    (if given) that it is not. `common_labels` (e.g. a version label) go on
    both objects' metadata, not on the pod. `name` (default: from the
    workload's) names both objects.
    """
    _check_inputs(agent_pod_labels, proxy_url, script, probe_timeout, active_deadline_seconds)
    name = name or probe_job_name(workload_name)
    labels = _object_labels(common_labels)
    config_map = _script_config_map(name, namespace, labels, script)
    settings = {
        "EXTERNAL_URL": external_url,
        "EXTERNAL_TCP": external_tcp,
        "NO_PROXY_URL": no_proxy_url,
        "SECRET_URL": secret_url,
        "TLS_INTERCEPTION": "true" if tls_interception else "",
        "PASSTHROUGH_URL": passthrough_url,
        "PROBE_TIMEOUT": str(probe_timeout),
    }
    pod_spec = _pod_spec(
        config_map_name=name,
        image=image,
        env=_proxy_env(proxy_url, no_proxy) + _settings_env(settings),
    )
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(name, namespace, labels),
        "spec": {
            # One attempt: a retry could hide a flaky bypass behind a later PASS.
            "backoffLimit": 0,
            "activeDeadlineSeconds": active_deadline_seconds,
            "ttlSecondsAfterFinished": ttl_seconds_after_finished,
            "template": {
                "metadata": {"labels": _pod_labels(agent_pod_labels)},
                "spec": pod_spec,
            },
        },
    }
    return [config_map, job]


def _metadata(name, namespace, labels):
    # No namespace: the Job lands where the agent does (kpt/kustomize set it).
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = labels
    return meta


def _check_inputs(agent_pod_labels, proxy_url, script, probe_timeout, active_deadline_seconds):
    if not agent_pod_labels:
        # Without the agent's labels no agent policy selects the probe pod, and
        # its results would say nothing about the agent.
        raise ValueError("agent_pod_labels is empty: the probe pod must carry the agent's labels")
    if not proxy_url:
        raise ValueError("proxy_url is empty")
    if not script:
        raise ValueError("script is empty")
    if not isinstance(probe_timeout, int) or isinstance(probe_timeout, bool) or probe_timeout <= 0:
        raise ValueError(f"probe_timeout must be a positive number of seconds, got {probe_timeout!r}")
    if active_deadline_seconds <= PROBE_COUNT * probe_timeout:
        raise ValueError(
            f"active_deadline_seconds {active_deadline_seconds} leaves no room for "
            f"{PROBE_COUNT} probes of {probe_timeout}s each"
        )


def _object_labels(common_labels):
    labels = dict(common_labels or {})
    labels[C.MANAGED_BY_LABEL] = C.MANAGED_BY
    labels[PROBE_LABEL] = "true"
    return labels


def _pod_labels(agent_pod_labels):
    labels = dict(agent_pod_labels)
    labels[PROBE_LABEL] = "true"
    return labels


def _script_config_map(name, namespace, labels, script):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(name, namespace, dict(labels)),
        "data": {SCRIPT_NAME: script},
    }


def _proxy_env(proxy_url, no_proxy):
    """The proxy variables as the patched agent gets them, both cases."""
    env = {"PROXY_URL": proxy_url}
    env.update((name, proxy_url) for name in C.PROXY_ENV)
    if no_proxy:
        env.update((name, no_proxy) for name in C.NO_PROXY_ENV)
    return _env_list(env)


def _settings_env(settings):
    # Empty settings are left out so the script's own defaults apply.
    return _env_list({key: value for key, value in settings.items() if value})


def _env_list(env):
    return [{"name": key, "value": value} for key, value in env.items()]


def _pod_spec(config_map_name, image, env):
    return {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        # Service variables would only add noise to the probe's environment.
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 5,
        "readinessGates": [{"conditionType": NEVER_READY_GATE}],
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": PROBE_UID,
            "runAsGroup": PROBE_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_probe_container(image, env)],
        "volumes": [
            {
                "name": "probe-script",
                "configMap": {"name": config_map_name, "defaultMode": 0o444},
            }
        ],
    }


def _probe_container(image, env):
    return {
        "name": "probe",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        # Run through sh: a ConfigMap file needs no exec bit then.
        "command": ["sh", f"{SCRIPT_DIR}/{SCRIPT_NAME}"],
        "env": env,
        "resources": {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"cpu": "200m", "memory": "64Mi"},
        },
        "securityContext": container_security(),
        # A directory mount, not subPath: subPath mounts never see updates.
        "volumeMounts": [{"name": "probe-script", "mountPath": SCRIPT_DIR, "readOnly": True}],
    }
