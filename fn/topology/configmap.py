"""The Pipelock config (ConfigMap key `pipelock.yaml`) for one companion.

Pipelock's loader rejects unknown keys, so only keys Pipelock v2.2 accepts
are written. The text is rendered once and its checksum goes onto the proxy
pod template, so a config change rolls the proxy.
"""

import hashlib

from ..krm import yamlio
from . import names
from .meta import object_meta

# Preset overrides on top of Pipelock's own defaults (`balanced` is those defaults).
PRESETS = {
    "balanced": {"mode": "balanced"},
    "strict": {
        "mode": "strict",
        "fetch_proxy": {"monitoring": {"entropy_threshold": 3.5, "max_url_length": 500, "max_requests_per_minute": 30}},
    },
    "audit": {"mode": "audit", "enforce": False},
}


def pipelock_config(agent, config):
    """The Pipelock config as data, keys in a stable, readable order."""
    preset = PRESETS[config["preset"]]
    doc = {"version": 1, "mode": preset["mode"]}
    if "enforce" in preset:
        doc["enforce"] = preset["enforce"]
    if config["apiAllowlist"]:
        doc["api_allowlist"] = list(config["apiAllowlist"])
    fetch_proxy = {"listen": f"0.0.0.0:{names.PROXY_PORT}"}
    fetch_proxy.update(preset.get("fetch_proxy", {}))
    doc["fetch_proxy"] = fetch_proxy
    doc["forward_proxy"] = {"enabled": True}
    doc["metrics_listen"] = f"0.0.0.0:{names.METRICS_PORT}"
    # Bound identity: X-Pipelock-Agent headers and ?agent= hints are ignored,
    # so logs and receipts always name this workload.
    doc["default_agent_identity"] = agent.identity
    doc["bind_default_agent_identity"] = True
    tls = config["tls"]
    if tls or config["passthroughDomains"]:
        interception = {"enabled": bool(tls)}
        if tls:
            interception["ca_cert"] = f"/etc/pipelock/tls/{tls['certKey']}"
            interception["ca_key"] = f"/etc/pipelock/tls/{tls['keyKey']}"
        if config["passthroughDomains"]:
            interception["passthrough_domains"] = list(config["passthroughDomains"])
        if tls:
            for ours, theirs in (("certTTL", "cert_ttl"), ("certCacheSize", "cert_cache_size"),
                                 ("maxResponseBytes", "max_response_bytes")):
                if tls.get(ours) is not None:
                    interception[theirs] = tls[ours]
        doc["tls_interception"] = interception
    return doc


def render(agent, config):
    """(config text, its sha256) for the ConfigMap and the pod template."""
    text = yamlio.dump(pipelock_config(agent, config))
    return text, hashlib.sha256(text.encode()).hexdigest()


def build(agent, config, text, annotations=None):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(agent.proxy, agent, annotations),
        "data": {"pipelock.yaml": text},
    }
