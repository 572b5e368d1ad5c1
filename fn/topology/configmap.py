"""The Pipelock config (ConfigMap key `pipelock.yaml`) for one companion.

Pipelock's loader rejects unknown keys, so only keys Pipelock v2.2 accepts
are written. The text is rendered once and its checksum goes onto the proxy
pod template, so a config change rolls the proxy.
"""

from ..krm import results as R
from ..krm import yamlio
from . import names
from .meta import object_meta

# Preset overrides on top of Pipelock's own defaults (`balanced` is those
# defaults), as `pipelock init sidecar` sets them (internal/cli/setup/init.go).
PRESETS = {
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


def pipelock_config(agent, config):
    """The Pipelock config as data, keys in a stable, readable order."""
    preset = PRESETS[config["preset"]]
    doc = {"version": 1, "mode": preset["mode"]}
    if "enforce" in preset:
        doc["enforce"] = preset["enforce"]
    if config["apiAllowlist"]:
        doc["api_allowlist"] = list(config["apiAllowlist"])
    monitoring = dict(preset["monitoring"], blocklist=list(DEFAULT_BLOCKLIST))
    doc["fetch_proxy"] = {"listen": f"0.0.0.0:{names.PROXY_PORT}", "monitoring": monitoring}
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
            interception["ca_cert"] = f"{names.TLS_DIR}/{tls['certKey']}"
            interception["ca_key"] = f"{names.TLS_DIR}/{tls['keyKey']}"
        if config["passthroughDomains"]:
            interception["passthrough_domains"] = list(config["passthroughDomains"])
        if tls:
            for ours, theirs in (("certTTL", "cert_ttl"), ("certCacheSize", "cert_cache_size"),
                                 ("maxResponseBytes", "max_response_bytes")):
                if tls.get(ours) is not None:
                    interception[theirs] = tls[ours]
        doc["tls_interception"] = interception
    return doc


def check(config, ref=None):
    """Settings Pipelock would refuse to start with, or that do nothing."""
    out = []
    if config["preset"] == "strict" and not config["apiAllowlist"]:
        out.append(R.Result(
            "preset strict blocks every host not in api_allowlist, and Pipelock refuses to start with an empty "
            "one: set spec.apiAllowlist to the APIs the agents call (e.g. api.openai.com, *.anthropic.com)",
            R.ERROR, ref, R.field("spec.apiAllowlist")))
    if config["apiAllowlist"] and config["preset"] != "strict":
        out.append(R.Result(
            f"spec.apiAllowlist is enforced only by preset strict; with preset {config['preset']} it is written "
            "to the config but blocks nothing", R.WARNING, ref, R.field("spec.apiAllowlist")))
    if config["passthroughDomains"] and not config["tls"]:
        out.append(R.Result(
            "spec.passthroughDomains only matters with TLS interception (spec.tls): without it Pipelock never "
            "intercepts, so every domain already passes through", R.WARNING, ref, R.field("spec.passthroughDomains")))
    return out


def render(agent, config):
    """(config text, its sha256) for the ConfigMap and the pod template."""
    text = yamlio.dump(pipelock_config(agent, config))
    return text, names.sha256_hex(text)


def build(agent, config, text, annotations=None):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(agent.proxy, agent, "config", annotations),
        "data": {"pipelock.yaml": text},
    }
