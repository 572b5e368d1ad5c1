"""The Pipelock config (ConfigMap key `pipelock.yaml`) of one companion.

Pipelock's loader rejects unknown keys, so only keys Pipelock v2.2 accepts
are written. The text is rendered once per agent; its checksum goes onto
the proxy pod template, so a config change rolls the proxy.
"""

from .. import conventions as C
from ..krm import yamlio
from . import tls as tls_mounts

# Preset overrides on top of Pipelock's own defaults (`balanced` is those
# defaults), as `pipelock init sidecar` sets them (internal/cli/setup/init.go).
PRESETS: dict = {
    "balanced": {"mode": "balanced", "monitoring": {}},
    "strict": {
        "mode": "strict",
        "monitoring": {"max_url_length": 500, "entropy_threshold": 3.5, "subdomain_entropy_threshold": 3.5,
                       "max_requests_per_minute": 30},
    },
    "audit": {"mode": "audit", "enforce": False, "monitoring": {}},
}

# Pipelock's Defaults() carry this paste-site blocklist, but its loader's
# ApplyDefaults does not fill it into a config file that omits it: written
# out so a minimal config keeps it.
DEFAULT_BLOCKLIST = ["*.pastebin.com", "*.hastebin.com", "*.paste.ee", "*.transfer.sh", "*.file.io", "*.requestbin.com"]


def document(agent, settings):
    """The Pipelock config as data, keys in a stable, readable order."""
    preset = PRESETS[settings.preset]
    doc: dict = {"version": 1, "mode": preset["mode"]}
    if "enforce" in preset:
        doc["enforce"] = preset["enforce"]
    if settings.api_allowlist:
        doc["api_allowlist"] = list(settings.api_allowlist)
    monitoring = dict(preset["monitoring"], blocklist=list(DEFAULT_BLOCKLIST))
    doc["fetch_proxy"] = {"listen": f"0.0.0.0:{C.PROXY_PORT}", "monitoring": monitoring}
    doc["forward_proxy"] = {"enabled": True}
    doc["metrics_listen"] = f"0.0.0.0:{C.METRICS_PORT}"
    # Bound identity: X-Pipelock-Agent headers and ?agent= hints are ignored,
    # so logs and receipts always name this workload.
    doc["default_agent_identity"] = agent.identity
    doc["bind_default_agent_identity"] = True
    tls = settings.tls
    if tls or settings.passthrough_domains:
        interception: dict = {"enabled": bool(tls)}
        if tls:
            interception["ca_cert"] = tls_mounts.proxy_cert_path(tls)
            interception["ca_key"] = tls_mounts.proxy_key_path(tls)
        if settings.passthrough_domains:
            interception["passthrough_domains"] = list(settings.passthrough_domains)
        if tls:
            optional = (("cert_ttl", tls.cert_ttl), ("cert_cache_size", tls.cert_cache_size),
                        ("max_response_bytes", tls.max_response_bytes))
            interception.update((theirs, value) for theirs, value in optional if value is not None)
        doc["tls_interception"] = interception
    return doc


def render(agent, settings):
    """The config text for the ConfigMap."""
    return yamlio.dump(document(agent, settings))
