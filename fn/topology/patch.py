"""The agent workload patch: proxy env on every container, annotations, and
the field report's migration fixes (legacy sidecar, downloading init
containers, subPath config mounts).

Pure: takes the workload's data, returns new data and findings; the caller
turns findings into results about the item.
"""

import re

from .. import conventions as C
from .. import workloads
from ..krm import results as R
from ..krm import yamlio
from . import names, tls

LEGACY_CONTAINER = C.PROXY_CONTAINER
# Compiled (and cached by re) when a workload has a command or a proxy variable.
_DOWNLOAD = r"\b(?:wget|curl)\b[^\n]*?\bhttps?://\S+"
_LOOPBACK_PROXY = r"^https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?/?$"


class Finding:
    """A result about the workload being patched, before it knows its item."""

    __slots__ = ("severity", "message", "path", "current", "proposed")

    def __init__(self, severity, message, path, current=None, proposed=None):
        self.severity, self.message, self.path = severity, message, path
        self.current, self.proposed = current, proposed


def desired_env(agent):
    no_proxy = ",".join(agent.no_proxy)
    return [(name, agent.proxy_url) for name in C.PROXY_ENV] + [(name, no_proxy) for name in C.NO_PROXY_ENV]


def patch(data, agent, settings):
    """(new data, [Finding]) for one selected workload."""
    problems = workloads.shape_problems(data, agent.kind)
    if problems:
        return data, [Finding(R.ERROR, f"{agent.kind} {agent.name}: {path} {problem}, as the Kubernetes API "
                              "defines it: fix the manifest", path) for path, problem in problems]
    new = yamlio.copy_data(data)
    findings = []
    base = workloads.template_path_text(agent.kind)
    template = workloads.pod_template(new, agent.kind)
    spec = workloads.pod_spec(new, agent.kind)
    if template is None or spec is None:
        return data, [Finding(R.ERROR, f"{agent.kind} has no pod template at {base}", base)]

    legacy = _legacy_sidecars(spec)
    if legacy and settings.legacy_sidecar == "remove":
        findings += _remove_legacy(spec, legacy, base)
    elif legacy:
        for field, index in legacy:
            findings.append(Finding(
                R.WARNING,
                f"in-pod Pipelock container {LEGACY_CONTAINER!r} shares the agent's network namespace, so the agent "
                "NetworkPolicy restricts it too and the agent can bypass it; the companion proxy replaces it. "
                "Remove it, or set spec.legacySidecar: remove",
                f"{base}.spec.{field}[{index}]"))

    trust = settings.agent_trust
    if trust:
        clashes = _trust_clashes(spec, base)
        findings += clashes
        trust = not clashes
    desired = desired_env(agent) + (tls.trust_env() if trust else [])
    for field, index, container in workloads.containers(spec):
        path = f"{base}.spec.{field}[{index}]"
        if container.get("name") == LEGACY_CONTAINER:
            continue
        findings += _set_env(container, desired, path, replace_loopback=settings.legacy_sidecar == "remove")
        if trust:
            findings += _mount_trust(container, path)
        if field == "initContainers":
            findings += _check_download(container, path, settings)
        findings += _check_subpath(container, path)
    if trust:
        tls.add_trust(spec, settings)

    annotations = {
        C.TOPOLOGY: C.TOPOLOGY_VALUE,
        C.PROXY_NAME: agent.proxy,
        C.PROXY_SERVICE: names.service_host(agent.proxy, agent.namespace, settings.cluster_domain),
    }
    for meta_owner in (new, template):
        meta = meta_owner.setdefault("metadata", {})
        if not isinstance(meta.get("annotations"), dict):
            meta["annotations"] = {}
        meta["annotations"].update(annotations)
    return new, findings


def has_trust(data, kind):
    """Whether a workload a previous run patched got the trust init container."""
    spec = workloads.pod_spec(data, kind) or {}
    return any(c.get("name") == C.TRUST_CONTAINER for _, _, c in workloads.containers(spec))


def _trust_clashes(spec, base):
    """The names the trust bundle needs, already taken in the pod."""
    out = []
    for field, index, container in workloads.containers(spec):
        if container.get("name") == C.TRUST_CONTAINER:
            out.append(Finding(R.ERROR, f"a container is already named {C.TRUST_CONTAINER!r}, the name of the init "
                               "container that gives the agents the Pipelock CA (spec.tls); rename it, or set "
                               "spec.tls.agentTrust: none", f"{base}.spec.{field}[{index}].name", C.TRUST_CONTAINER))
    volumes = spec.get("volumes")
    if volumes is not None and not isinstance(volumes, list):
        return [*out, Finding(R.ERROR, "volumes is not a list", f"{base}.spec.volumes")]
    for index, volume in enumerate(volumes or []):
        if isinstance(volume, dict) and volume.get("name") in (C.TRUST_VOLUME, C.CA_SOURCE_VOLUME):
            out.append(Finding(R.ERROR, f"a volume is already named {volume['name']!r}, which the Pipelock CA trust "
                               "bundle needs (spec.tls); rename it, or set spec.tls.agentTrust: none",
                               f"{base}.spec.volumes[{index}].name", volume["name"]))
    return out


def _mount_trust(container, path):
    mounts = container.get("volumeMounts")
    if mounts is None:
        mounts = container["volumeMounts"] = []
    if not isinstance(mounts, list):
        return [Finding(R.ERROR, f"container {container.get('name')!r}: volumeMounts is not a list",
                        f"{path}.volumeMounts")]
    for index, mount in enumerate(mounts):
        if isinstance(mount, dict) and mount.get("mountPath") == C.TRUST_DIR:
            return [Finding(R.ERROR, f"container {container.get('name')!r} already mounts something at "
                            f"{C.TRUST_DIR}, where the Pipelock CA trust bundle goes (spec.tls); move it, or set "
                            "spec.tls.agentTrust: none", f"{path}.volumeMounts[{index}].mountPath", C.TRUST_DIR)]
    mounts.append(tls.trust_mount())
    return []


def _set_env(container, desired, path, replace_loopback):
    env = container.get("env")
    if env is None:
        env = container["env"] = []
    if not isinstance(env, list):
        return [Finding(R.ERROR, f"container {container.get('name')!r}: env is not a list", f"{path}.env")]
    findings = []
    by_name = {e.get("name"): i for i, e in enumerate(env) if isinstance(e, dict)}
    for name, value in desired:
        i = by_name.get(name)
        if i is None:
            env.append({"name": name, "value": value})
            continue
        entry = env[i]
        if "valueFrom" not in entry and entry.get("value") == value:
            continue
        current = entry.get("value")
        loopback = isinstance(current, str) and re.match(_LOOPBACK_PROXY, current)
        if replace_loopback and "valueFrom" not in entry and loopback:
            entry["value"] = value
            findings.append(Finding(
                R.INFO, f"container {container.get('name')!r}: {name} pointed at the removed in-pod Pipelock; now "
                "the companion proxy", f"{path}.env[{i}].value", current, value))
            continue
        what = "is set from valueFrom" if "valueFrom" in entry else f"is {current!r}"
        instead = ", or set spec.tls.agentTrust: none" if name in C.TRUST_BUNDLE_ENV + C.TRUST_EXTRA_ENV else ""
        findings.append(Finding(
            R.ERROR,
            f"container {container.get('name')!r}: env {name} {what}, but the companion topology needs {value!r}; "
            f"remove the variable (the function sets it) or exclude this workload{instead}",
            f"{path}.env[{i}].{'valueFrom' if 'valueFrom' in entry else 'value'}",
            current if isinstance(current, str) else None, value))
    return findings


def _legacy_sidecars(spec):
    return [(field, i) for field, i, c in workloads.containers(spec) if c.get("name") == LEGACY_CONTAINER]


def _remove_legacy(spec, legacy, base):
    findings = []
    removed_volumes: set = set()
    for field, index in sorted(legacy, reverse=True):
        container = spec[field].pop(index)
        mounts = {m.get("name") for m in container.get("volumeMounts") or [] if isinstance(m, dict)}
        still_used = {m.get("name") for _, _, c in workloads.containers(spec)
                      for m in c.get("volumeMounts") or [] if isinstance(m, dict)}
        removed_volumes |= mounts - still_used
        if not spec[field]:
            del spec[field]
        findings.append(Finding(R.INFO, "removed the in-pod Pipelock container (spec.legacySidecar: remove)",
                                f"{base}.spec.{field}[{index}]"))
    volumes = spec.get("volumes")
    if removed_volumes and isinstance(volumes, list):
        spec["volumes"] = [v for v in volumes if not (isinstance(v, dict) and v.get("name") in removed_volumes)]
        if not spec["volumes"]:
            del spec["volumes"]
        findings += [Finding(R.INFO, f"removed volume {name!r}, used only by the in-pod Pipelock container",
                             f"{base}.spec.volumes") for name in sorted(removed_volumes)]
    return findings


def _command_text(container):
    parts = []
    for key in ("command", "args"):
        value = container.get(key)
        if isinstance(value, list):
            parts += [str(v) for v in value]
    return " ".join(parts)


def _check_download(container, path, settings):
    text = _command_text(container)
    image = str(container.get("image", "")).rsplit("/", 1)[-1]
    if image.startswith(("curl", "wget")):
        text = f"{image.split(':')[0]} {text}"  # the image's entrypoint is the downloader
    match = re.search(_DOWNLOAD, text)
    if not match:
        return []
    name = container.get("name")
    target = _download_target(text)
    if settings.downloading_init_containers == "rewrite" and "pipelock" in match.group(0).lower() and target:
        # The seed's pattern: take the binary from the image the companion
        # runs, byte for byte the same, with no network at all.
        container["image"] = settings.image_ref
        container["command"] = [C.BINARY, "install", target]
        container.pop("args", None)
        return [Finding(R.INFO, f"init container {name!r} downloaded Pipelock from the internet, which the agent "
                                f"NetworkPolicy blocks; it now copies the binary from {settings.image_ref} "
                                f"(spec.downloadingInitContainers: rewrite)", f"{path}.command", None,
                        f"{C.BINARY} install {target}")]
    return [Finding(
        R.WARNING,
        f"init container {name!r} downloads from the internet ({match.group(0)[:80]}); after the lockdown it can only "
        "go through the proxy, which starts after it may already have failed. Copy the file from an image instead "
        "(for Pipelock itself: spec.downloadingInitContainers: rewrite)",
        f"{path}.command")]


def _download_target(text):
    match = re.search(r"(?:-O|-o|--output(?:-document)?)[ =]?(\S+)", text)
    return match.group(1) if match and match.group(1).startswith("/") else None


def _check_subpath(container, path):
    out = []
    for i, mount in enumerate(container.get("volumeMounts") or []):
        if not isinstance(mount, dict) or not mount.get("subPath"):
            continue
        where = f"{mount.get('mountPath', '')} {mount.get('subPath', '')}".lower()
        if "pipelock" in where:
            out.append(Finding(
                R.WARNING,
                f"container {container.get('name')!r} mounts a Pipelock config with subPath "
                f"{mount.get('subPath')!r}: a subPath mount never sees ConfigMap updates, so config changes need a "
                "pod restart. Mount the ConfigMap as a directory (drop subPath, mount at the directory)",
                f"{path}.volumeMounts[{i}].subPath", mount.get("subPath")))
    return out
