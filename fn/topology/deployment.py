"""The companion Deployment: Pipelock alone in its pod (no VPN, no sidecars)."""

from .. import conventions as C
from . import names, tls
from .meta import object_meta

ROLE = C.Role.PROXY


def build(agent, settings):
    labels = names.proxy_labels(agent.proxy)
    pod_labels = names.common_labels(agent.proxy)
    mounts = [{"name": "config", "mountPath": C.CONFIG_DIR, "readOnly": True}]
    # The config is mounted as a directory, never with subPath: only a
    # directory mount sees ConfigMap updates (field report, gotcha 1).
    volumes = [{"name": "config", "configMap": {"name": agent.proxy}}]
    pod_security = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if settings.tls:
        for volume, mount in tls.proxy_volumes(settings.tls):
            volumes.append(volume)
            mounts.append(mount)
        # Secret files are owned by root; with fsGroup the kubelet gives them
        # that group and adds 0440, so the proxy (in the group) reads the key.
        pod_security["fsGroup"] = settings.tls.fs_group
    probe = {"httpGet": {"path": "/health", "port": "http"}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(agent.proxy, agent, ROLE),
        "spec": {
            "replicas": settings.replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    # A config change changes the pod template, so the proxy rolls.
                    "annotations": {C.CONFIG_CHECKSUM: names.sha256_hex(agent.config_text)},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    # Pipelock reads no service variables; with hundreds of
                    # Services they only bloat the environment.
                    "enableServiceLinks": False,
                    "securityContext": pod_security,
                    "affinity": {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [{
                                "weight": 100,
                                "podAffinityTerm": {
                                    "labelSelector": {"matchLabels": labels},
                                    "topologyKey": "kubernetes.io/hostname",
                                },
                            }],
                        },
                    },
                    "containers": [{
                        "name": C.PROXY_CONTAINER,
                        "image": settings.image_ref,
                        "imagePullPolicy": "IfNotPresent",
                        "args": ["run", "--config", f"{C.CONFIG_DIR}/{C.CONFIG_FILE}"],
                        "ports": [
                            {"name": "http", "containerPort": C.PROXY_PORT, "protocol": "TCP"},
                            {"name": "metrics", "containerPort": C.METRICS_PORT, "protocol": "TCP"},
                        ],
                        "readinessProbe": dict(probe, initialDelaySeconds=2, periodSeconds=10),
                        "livenessProbe": dict(probe, initialDelaySeconds=5, periodSeconds=30),
                        "resources": settings.resources,
                        "securityContext": {
                            "readOnlyRootFilesystem": True,
                            "allowPrivilegeEscalation": False,
                            "runAsNonRoot": True,
                            "runAsUser": C.NOBODY,
                            # The image is FROM scratch with no USER: without
                            # this the process's group would be root (GID 0).
                            "runAsGroup": C.NOBODY,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            },
        },
    }
