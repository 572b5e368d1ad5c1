"""The generated Pipelock config is one Pipelock v2.2 would load.

Pipelock's loader decodes with KnownFields(true): any key it does not know,
at any level, stops the proxy from starting. The key sets below are
transcribed from the v2.2.0 config structs (internal/config/config.go,
tag v2.2.0, commit 51d5289), and the value rules from its Validate().
"""

import re

import pytest
import yaml

from pipelock_companion.settings import Settings, checks
from pipelock_companion.topology import deployment
from pipelock_companion.topology.agent import Agent

TOP_LEVEL = set("""version mode enforce explain_blocks api_allowlist suppress fetch_proxy forward_proxy
websocket_proxy dlp canary_tokens response_scanning mcp_input_scanning mcp_tool_scanning mcp_tool_policy
git_protection logging session_profiling adaptive_enforcement mcp_session_binding request_body_scanning
kill_switch sentry metrics_listen emit tool_chain_detection mcp_ws_listener tls_interception
cross_request_detection reverse_proxy scan_api address_protection seed_phrase_detection rules file_sentry
sandbox flight_recorder mcp_binary_integrity mcp_tool_provenance behavioral_baseline airlock browser_shield
media_policy a2a_scanning taint mediation_envelope agents default_agent_identity bind_default_agent_identity
license_key license_file license_public_key internal trusted_domains ssrf""".split())
NESTED = {
    "fetch_proxy": {"listen", "timeout_seconds", "max_response_mb", "user_agent", "monitoring"},
    "fetch_proxy.monitoring": {"max_url_length", "entropy_threshold", "subdomain_entropy_threshold",
                               "max_requests_per_minute", "max_data_per_minute", "blocklist",
                               "subdomain_entropy_exclusions"},
    "forward_proxy": {"enabled", "max_tunnel_seconds", "idle_timeout_seconds", "sni_verification",
                      "redirect_websocket_hosts"},
    "tls_interception": {"enabled", "ca_cert", "ca_key", "passthrough_domains", "cert_ttl", "cert_cache_size",
                         "max_response_bytes"},
}
GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


def _agent(settings, identity="deployment/agent"):
    return Agent(item=None, kind="Deployment", api_version="apps/v1", name="agent", namespace="agents",
                 proxy="agent-pipelock", identity=identity, selector={"matchLabels": {"app": "agent"}},
                 pod_labels={"app": "agent"}, settings=settings)


def _config(spec, identity="deployment/agent"):
    return yaml.safe_load(_agent(Settings.from_spec(spec), identity).config_text)


def _checksum(spec, identity="deployment/agent"):
    settings = Settings.from_spec(spec)
    template = deployment.build(_agent(settings, identity), settings)["spec"]["template"]
    return template["metadata"]["annotations"]["pipelock.dev/config-checksum"]


def _unknown_keys(doc, path=""):
    allowed = TOP_LEVEL if not path else NESTED.get(path)
    out = []
    for key, value in doc.items():
        full = f"{path}.{key}" if path else key
        if allowed is not None and key not in allowed:
            out.append(full)
        if isinstance(value, dict):
            out += _unknown_keys(value, full)
    return out


SPECS = [
    {},
    {"preset": "strict", "apiAllowlist": ["api.openai.com", "*.anthropic.com"]},
    {"preset": "audit"},
    {"passthroughDomains": ["*.bank.example"],
     "tls": {"secretName": "pipelock-ca", "certTTL": "12h30m", "certCacheSize": 500, "maxResponseBytes": 1048576}},
]


@pytest.mark.parametrize("spec", SPECS)
def test_only_keys_pipelock_accepts(spec):
    doc = _config(spec)
    assert _unknown_keys(doc) == []
    # Validate() rules the generated config must meet.
    assert doc["mode"] in ("strict", "balanced", "audit")
    if doc["mode"] == "strict":
        assert doc["api_allowlist"]
    assert doc["bind_default_agent_identity"] is True
    assert doc["default_agent_identity"] == doc["default_agent_identity"].strip() != ""
    assert doc["fetch_proxy"]["listen"].rsplit(":", 1)[1] != doc["metrics_listen"].rsplit(":", 1)[1]
    tls = doc.get("tls_interception")
    if tls and tls["enabled"]:
        assert tls["ca_cert"].startswith("/") and tls["ca_key"].startswith("/")
        assert GO_DURATION.match(tls.get("cert_ttl", "24h"))


def test_strict_thresholds_match_pipelock_init():
    monitoring = _config({"preset": "strict", "apiAllowlist": ["api.openai.com"]})["fetch_proxy"]["monitoring"]
    assert monitoring["entropy_threshold"] == 3.5
    assert monitoring["subdomain_entropy_threshold"] == 3.5
    assert monitoring["max_url_length"] == 500
    assert monitoring["max_requests_per_minute"] == 30


def test_audit_does_not_enforce():
    doc = _config({"preset": "audit"})
    assert doc["mode"] == "audit" and doc["enforce"] is False


def test_checksum_follows_the_config():
    assert _checksum({}) == _checksum({}) != _checksum({}, identity="deployment/other")


def test_strict_without_allowlist_is_an_error():
    results = checks.check(Settings.from_spec({"preset": "strict"}))
    assert [r.severity for r in results] == ["error"]
    assert results[0].field["path"] == "spec.apiAllowlist"
