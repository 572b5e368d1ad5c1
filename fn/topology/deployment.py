"""The companion Deployment: Pipelock alone in its pod (no VPN, no sidecars)."""

from . import names
from .meta import object_meta

CONFIG_DIR = names.CONFIG_DIR
TLS_DIR = names.TLS_DIR
RUN_AS_USER = 65534


def build(agent, config, config_checksum, annotations=None):
    labels = names.proxy_labels(agent.proxy)
    pod_labels = names.common_labels(agent.proxy)
    tls = config["tls"]
    mounts = [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}]
    # The config is mounted as a directory, never with subPath: only a
    # directory mount sees ConfigMap updates (field report, gotcha 1).
    volumes = [{"name": "config", "configMap": {"name": agent.proxy}}]
    pod_security = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if tls:
        mounts.append({"name": "tls-ca", "mountPath": TLS_DIR, "readOnly": True})
        volumes.append({"name": "tls-ca", "secret": {"secretName": tls["secretName"], "defaultMode": tls["defaultMode"]}})
        # Secret files are owned by root; fsGroup makes them group-owned by a
        # group the proxy has, so group-read (0440/0640) is what lets it read.
        pod_security["fsGroup"] = tls["fsGroup"]
    probe = {"httpGet": {"path": "/health", "port": "http"}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(agent.proxy, agent, "proxy", annotations),
        "spec": {
            "replicas": config["replicas"],
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    # A config change changes the pod template, so the proxy rolls.
                    "annotations": {names.CONFIG_CHECKSUM: config_checksum},
                },
                "spec": {
                    "automountServiceAccountToken": False,
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
                        "name": "pipelock",
                        "image": config.image_ref,
                        "imagePullPolicy": "IfNotPresent",
                        "args": ["run", "--config", f"{CONFIG_DIR}/pipelock.yaml"],
                        "ports": [
                            {"name": "http", "containerPort": names.PROXY_PORT, "protocol": "TCP"},
                            {"name": "metrics", "containerPort": names.METRICS_PORT, "protocol": "TCP"},
                        ],
                        "readinessProbe": dict(probe, initialDelaySeconds=2, periodSeconds=10),
                        "livenessProbe": dict(probe, initialDelaySeconds=5, periodSeconds=30),
                        "resources": config["resources"],
                        "securityContext": {
                            "readOnlyRootFilesystem": True,
                            "allowPrivilegeEscalation": False,
                            "runAsNonRoot": True,
                            "runAsUser": RUN_AS_USER,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            },
        },
    }
