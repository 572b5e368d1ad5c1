"""The proxy Service: the one address agents are allowed to reach."""

from .. import conventions as C
from . import names
from .meta import object_meta

ROLE = C.Role.SERVICE


def build(agent, settings):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(agent.proxy, agent, ROLE),
        "spec": {
            "type": "ClusterIP",
            "selector": names.proxy_labels(agent.proxy),
            "ports": [
                {"name": "http", "port": C.PROXY_PORT, "targetPort": "http", "protocol": "TCP"},
                {"name": "metrics", "port": C.METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"},
            ],
        },
    }
