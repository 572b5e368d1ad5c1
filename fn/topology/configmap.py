"""The companion ConfigMap: the Pipelock config, mounted as a directory."""

from .. import conventions as C
from .meta import object_meta

ROLE = C.Role.CONFIG


def build(agent, settings):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(agent.proxy, agent, ROLE),
        "data": {C.CONFIG_FILE: agent.config_text},
    }
