"""The proxy Service: the one address agents are allowed to reach."""

from . import names
from .meta import object_meta


def build(agent, config, annotations=None):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(agent.proxy, agent, "proxy", annotations),
        "spec": {
            "type": "ClusterIP",
            "selector": names.proxy_labels(agent.proxy),
            "ports": [
                {"name": "http", "port": names.PROXY_PORT, "targetPort": "http", "protocol": "TCP"},
                {"name": "metrics", "port": names.METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"},
            ],
        },
    }
