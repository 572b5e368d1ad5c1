"""Every generated Pipelock config is one Pipelock v2.2.0 loads.

The loader is tests/pipelock_v220.py: Pipelock v2.2.0's config structs
(field names and Go types), its strict yaml.v3 decoding (unknown keys
rejected at any depth, one document), ApplyDefaults and the validators our
keys reach, transcribed from luckyPipewrench/pipelock at tag v2.2.0,
internal/config/config.go. The tests below first show that this oracle
refuses what Pipelock refuses, then load with it the config of every spec
shape, every test case and every catalog example, and check that each
value Pipelock would refuse is refused at render time instead.
"""

import glob
import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelock_companion.settings import Settings, checks, go_duration
from pipelock_companion.settings import load as load_settings
from pipelock_companion.topology import deployment, pipelock_config
from pipelock_companion.topology.agent import Agent

from conftest import AGENT_ITEM, run_function
from pipelock_v220 import LoadError, load, parse_duration, split_host_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINIMAL = "version: 1\nmode: balanced\ndefault_agent_identity: a\nbind_default_agent_identity: true\n"
MANAGED_BY = "pipelock-companion"
TLS = "tls_interception:\n  enabled: true\n  ca_cert: /c\n  ca_key: /k\n"


def _agent(settings, identity="deployment/agent"):
    return Agent(item=None, kind="Deployment", api_version="apps/v1", name="agent", namespace="agents",
                 proxy="agent-pipelock", identity=identity, selector={"matchLabels": {"app": "agent"}},
                 pod_labels={"app": "agent"}, settings=settings)


def _text(spec, identity="deployment/agent"):
    return _agent(Settings.from_spec(spec), identity).config_text


def _refused(text):
    with pytest.raises(LoadError) as caught:
        load(text)
    return str(caught.value)


# --- the oracle refuses what Pipelock refuses ------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    (MINIMAL + "fetch_proxy:\n  listen_addr: x\n", "field listen_addr not found in type config.FetchProxy"),
    (MINIMAL + TLS + "  ca_bundle: /x\n", "field ca_bundle not found in type config.TLSInterception"),
    (MINIMAL + "tlsInterception: {}\n", "field tlsInterception not found in type config.Config"),
    (MINIMAL + "---\nmode: audit\n", "multiple YAML documents"),
    (MINIMAL + "mode: audit\n", "already defined"),
    (MINIMAL + TLS + "  cert_cache_size: '10'\n", "into int"),
    (MINIMAL + TLS + "  max_response_bytes: 9223372036854775808\n", "into int64"),
    (MINIMAL + TLS + "  cert_cache_size: 1e19\n", "into int"),
    (MINIMAL + "enforce: maybe\n", "into bool"),
    (MINIMAL + "api_allowlist: api.openai.com\n", "into []string"),
    (MINIMAL + "fetch_proxy:\n  monitoring:\n    entropy_threshold: high\n", "into float64"),
    ("version: 1\nmode: paranoid\n", "invalid mode"),
    ("mode: strict\n", "strict mode requires at least one domain in api_allowlist"),
    (MINIMAL + "fetch_proxy:\n  monitoring:\n    blocklist: ['']\n", "empty blocklist entry"),
    (MINIMAL + TLS + "  cert_ttl: 0s\n", "cert_ttl must be positive"),
    (MINIMAL + TLS + "  cert_ttl: 0.5ns\n", "cert_ttl must be positive"),
    (MINIMAL + TLS + "  cert_ttl: 3000000h\n", "invalid duration"),
    (MINIMAL + TLS + "  cert_ttl: 1d\n", "unknown unit"),
    (MINIMAL + "metrics_listen: 0.0.0.0:8888\n", "collides"),
    (MINIMAL + "metrics_listen: 9091\n", "missing port"),
    ("bind_default_agent_identity: true\n", "requires default_agent_identity"),
    ("bind_default_agent_identity: true\ndefault_agent_identity: '\u3000 '\n", "requires default_agent_identity"),
    ("default_agent_identity: ' team/bot'\n", "leading or trailing whitespace"),
    ('default_agent_identity: "team/bot\\u00a0"\n', "leading or trailing whitespace"),
])
def test_oracle_refuses(text, message):
    assert message in _refused(text)


@pytest.mark.parametrize(("text", "path", "value"), [
    (MINIMAL + TLS + "  max_response_bytes: 9223372036854775807\n", ("tls_interception", "max_response_bytes"),
     2**63 - 1),
    (MINIMAL + TLS + "  cert_cache_size: 1.9\n", ("tls_interception", "cert_cache_size"), 1),  # truncated
    (MINIMAL + TLS + "  cert_cache_size: 0x10\n", ("tls_interception", "cert_cache_size"), 16),
    (MINIMAL + TLS + "  cert_cache_size: 0\n", ("tls_interception", "cert_cache_size"), 10000),  # defaulted
    (MINIMAL + TLS + "  cert_ttl: '1.5h'\n", ("tls_interception", "cert_ttl"), "1.5h"),
    (MINIMAL + "forward_proxy:\n  enabled: yes\n", ("forward_proxy", "enabled"), True),  # YAML 1.1 into bool
    (MINIMAL + "forward_proxy:\n  enabled: 'off'\n", ("forward_proxy", "enabled"), False),
    (MINIMAL + "metrics_listen: 0.0.0.0:9091\n", ("fetch_proxy", "listen"), "127.0.0.1:8888"),
    ("version: 1\ndefault_agent_identity: 12\n", ("default_agent_identity",), "12"),  # any scalar into a string
    (MINIMAL + "enforce: ~\n", ("enforce",), None),
])
def test_oracle_accepts(text, path, value):
    config = load(text)
    for key in path:
        config = config[key]
    assert config == value


# Go's own cases: src/time/time_test.go, parseDurationTests and
# parseDurationErrorTests (Go 1.22), with the values Go gives.
GO_DURATIONS = [
    ("0", 0), ("5s", 5 * 10**9), ("30s", 30 * 10**9), ("1478s", 1478 * 10**9), ("-5s", -5 * 10**9),
    ("+5s", 5 * 10**9), ("-0", 0), ("+0", 0), ("5.0s", 5 * 10**9), ("5.6s", 5600 * 10**6), ("5.s", 5 * 10**9),
    (".5s", 500 * 10**6), ("1.0s", 10**9), ("1.00s", 10**9), ("1.004s", 1004 * 10**6), ("1.0040s", 1004 * 10**6),
    ("100.00100s", 100001 * 10**6), ("10ns", 10), ("11us", 11 * 10**3), ("12\u00b5s", 12 * 10**3),
    ("12\u03bcs", 12 * 10**3), ("13ms", 13 * 10**6), ("14s", 14 * 10**9), ("15m", 15 * 60 * 10**9),
    ("16h", 16 * 3600 * 10**9), ("3h30m", 210 * 60 * 10**9), ("10.5s4m", 4 * 60 * 10**9 + 10500 * 10**6),
    ("-2m3.4s", -(2 * 60 * 10**9 + 3400 * 10**6)), ("1h2m3s4ms5us6ns", 3723004005006),
    ("39h9m14.425s", 39 * 3600 * 10**9 + 9 * 60 * 10**9 + 14 * 10**9 + 425 * 10**6), ("52763797000ns", 52763797000),
    ("0.3333333333333333333h", 20 * 60 * 10**9), ("9007199254740993ns", 2**53 + 1),
    ("9223372036854775807ns", 2**63 - 1), ("9223372036854775.807us", 2**63 - 1),
    ("9223372036s854ms775us807ns", 2**63 - 1), ("-9223372036854775808ns", -(2**63)),
    ("-9223372036854775.808us", -(2**63)), ("-9223372036s854ms775us808ns", -(2**63)),
    ("-2562047h47m16.854775808s", -(2**63)), ("0.100000000000000000000h", 6 * 60 * 10**9),
    ("0.830103483285477580700h", 49 * 60 * 10**9 + 48 * 10**9 + 372539827),
]
GO_DURATION_ERRORS = ["", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "\x85\x85", "\xffff", "hello \xffff world",
                      "9223372036854775810ns", "9223372036854775808ns", "-9223372036854775809ns",
                      "9223372036854776us", "3000000h", "9223372036854775.808us", "9223372036854ms775us808ns"]


@pytest.mark.parametrize(("text", "nanoseconds"), GO_DURATIONS)
def test_both_duration_parsers_give_gos_values(text, nanoseconds):
    assert parse_duration(text) == nanoseconds
    assert go_duration.parse(text) == nanoseconds


@pytest.mark.parametrize("text", GO_DURATION_ERRORS)
def test_both_duration_parsers_refuse_what_go_refuses(text):
    with pytest.raises(LoadError):
        parse_duration(text)
    with pytest.raises(ValueError, match="time: "):
        go_duration.parse(text)


@pytest.mark.parametrize(("hostport", "port"), [("0.0.0.0:8888", "8888"), ("[::]:9091", "9091"), (":80", "80")])
def test_split_host_port(hostport, port):
    assert split_host_port(hostport, "x")[1] == port


@pytest.mark.parametrize("hostport", ["8888", "::1:80", "[::1]", "[::1]x:80", "a]:80"])
def test_split_host_port_refuses(hostport):
    with pytest.raises(LoadError):
        split_host_port(hostport, "x")


# --- every generated config loads ----------------------------------------------------

SPECS = [
    {},
    {"preset": "strict", "apiAllowlist": ["api.openai.com", "*.anthropic.com"]},
    {"preset": "audit"},
    {"preset": "balanced", "apiAllowlist": ["api.openai.com"], "agentIdentity": "team/bot"},
    {"passthroughDomains": ["*.bank.example"],
     "tls": {"secretName": "pipelock-ca", "certTTL": "12h30m", "certCacheSize": 500, "maxResponseBytes": 1048576}},
    {"tls": {"secretName": "ca", "certConfigMap": "ca-cert", "certKey": "tls.crt", "keyKey": "tls.key",
             "certTTL": "2562047h47m16.854775807s", "certCacheSize": 2**63 - 1, "maxResponseBytes": 2**63 - 1}},
    {"tls": {"secretName": "ca", "certTTL": "1ns", "certCacheSize": 1, "maxResponseBytes": 1}},
]


@pytest.mark.parametrize("spec", SPECS)
def test_generated_config_loads(spec):
    settings_ = Settings.from_spec(spec)
    assert [r.message for r in checks.check(settings_) if r.severity == "error"] == []
    config = load(_text(spec))
    assert config["mode"] == settings_.preset
    assert config["default_agent_identity"] == "deployment/agent"
    assert config["bind_default_agent_identity"] is True
    assert config["tls_interception"].get("enabled", False) is (settings_.tls is not None)


def test_strict_thresholds_match_pipelock_init():
    # internal/cli/setup/init.go, preset strict.
    monitoring = load(_text({"preset": "strict", "apiAllowlist": ["api.openai.com"]}))["fetch_proxy"]["monitoring"]
    assert (monitoring["entropy_threshold"], monitoring["subdomain_entropy_threshold"]) == (3.5, 3.5)
    assert (monitoring["max_url_length"], monitoring["max_requests_per_minute"]) == (500, 30)


def test_balanced_keeps_pipelock_defaults():
    monitoring = load(_text({}))["fetch_proxy"]["monitoring"]
    assert (monitoring["entropy_threshold"], monitoring["max_url_length"]) == (4.5, 2048)


def test_audit_does_not_enforce():
    config = load(_text({"preset": "audit"}))
    assert config["mode"] == "audit" and config["enforce"] is False


def test_checksum_follows_the_config():
    def checksum(identity):
        settings_ = Settings.from_spec({})
        template = deployment.build(_agent(settings_, identity), settings_)["spec"]["template"]
        return template["metadata"]["annotations"]["pipelock.dev/config-checksum"]

    assert checksum("deployment/agent") == checksum("deployment/agent") != checksum("deployment/other")


def _package_outputs():
    """The files each kpt package's run adds (examples/ and tests/cases/),
    from its diff.patch (new files only)."""
    patches = glob.glob(os.path.join(ROOT, "examples", "*", ".expected", "diff.patch"))
    patches += glob.glob(os.path.join(ROOT, "tests", "cases", "*", ".expected", "diff.patch"))
    for path in sorted(patches):
        with open(path, encoding="utf-8") as f:
            patch = f.read()
        objects = []
        for block in patch.split("diff --git ")[1:]:
            if "\n--- /dev/null\n" not in block:
                continue
            added = [line[1:] for line in block.split("\n@@", 1)[1].split("\n")[1:] if line.startswith("+")]
            objects += [d for d in yaml.safe_load_all("\n".join(added)) if d]
        yield os.path.relpath(path, ROOT), objects


def _companions(objects):
    """(config text, proxy Deployment or None) of each generated config."""
    managed = [o for o in objects if isinstance(o, dict)
               and (o.get("metadata") or {}).get("labels", {}).get("app.kubernetes.io/managed-by") == MANAGED_BY]
    for config_map in managed:
        labels = config_map["metadata"]["labels"]
        if config_map["kind"] == "ConfigMap" and labels.get("app.kubernetes.io/component") == "config":
            proxy = next((o for o in managed if o["kind"] == "Deployment"
                          and o["metadata"]["name"] == config_map["metadata"]["name"]), None)
            yield config_map["data"]["pipelock.yaml"], proxy


OUTPUTS = list(_package_outputs())


def test_outputs_hold_configs():
    # The parametrized test below must not pass by finding nothing.
    found = [where for where, objects in OUTPUTS for _ in _companions(objects)]
    assert len(found) >= 25
    assert any(where.startswith("examples/") for where in found)
    assert any(where.startswith("tests/cases/") for where in found)
    assert any("tls" in where for where in found)


@pytest.mark.parametrize("objects", [o for _, o in OUTPUTS], ids=[w for w, _ in OUTPUTS])
def test_every_generated_config_loads(objects):
    for text, proxy in _companions(objects):
        config = load(text)
        tls = config["tls_interception"]
        if tls.get("enabled") and proxy is not None:
            _assert_ca_files_readable(proxy, tls["ca_cert"], tls["ca_key"])


def _assert_ca_files_readable(proxy, cert_path, key_path):
    """validateTLSInterception's os.Stat and key-mode check, against the pod:
    each path is a projected item of a mounted volume, and the key's final
    mode (defaultMode | 0440 with fsGroup, the kubelet's rule) has no bit of 0o137."""
    pod = proxy["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    files = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        source = volume.get("secret") or volume.get("configMap") or {}
        for item in source.get("items") or []:
            files[f"{mount['mountPath']}/{item['path']}"] = (volume, source.get("defaultMode", 0o644))
    assert cert_path in files and key_path in files, (cert_path, key_path, sorted(files))
    volume, mode = files[key_path]
    assert "secret" in volume
    assert pod["securityContext"]["fsGroup"] > 0
    assert (mode | 0o440) & 0o137 == 0


# --- what Pipelock refuses is refused at render time ---------------------------------------


def _config_with(spec):
    settings_, results = load_settings(_CompanionProxy(spec))
    return settings_, results


class _CompanionProxy:
    """A functionConfig item as settings.load reads it."""

    def __init__(self, spec):
        self.data = {"apiVersion": "fn.pipelock.dev/v1alpha1", "kind": "CompanionProxy", "metadata": {"name": "t"},
                     "spec": spec}


def _tls_config(**tls):
    return MINIMAL + TLS + "".join(f"  {key}: {value}\n" for key, value in tls.items())


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A(([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})(ns|us|\u00b5s|ms|s|m|h)){1,3}\Z"))
def test_cert_ttl_refused_exactly_when_pipelock_refuses(ttl):
    _, results = _config_with({"tls": {"secretName": "ca", "certTTL": ttl}})
    refused_here = any(r.field and r.field["path"] == "spec.tls.certTTL" for r in results)
    try:
        load(_tls_config(cert_ttl=f"'{ttl}'"))
        refused_by_pipelock = False
    except LoadError:
        refused_by_pipelock = True
    assert refused_here == refused_by_pipelock


@pytest.mark.parametrize("ttl", ["0s", "0h", "0m0s", "0.0h", "0.5ns", "3000000h", "2562047h47m16.854775808s"])
def test_cert_ttl_pipelock_refuses_is_an_error_naming_the_field(ttl):
    _, results = _config_with({"tls": {"secretName": "ca", "certTTL": ttl}})
    assert [(r.severity, r.field["path"]) for r in results] == [("error", "spec.tls.certTTL")]
    with pytest.raises(LoadError):
        load(_tls_config(cert_ttl=ttl))


@pytest.mark.parametrize("field", ["certCacheSize", "maxResponseBytes"])
@pytest.mark.parametrize(("value", "accepted"), [(2**63 - 1, True), (2**63, False), (2**64, False)])
def test_integers_past_go_int64_are_refused(field, value, accepted):
    _, results = _config_with({"tls": {"secretName": "ca", field: value}})
    assert (not results) is accepted
    if not accepted:
        assert results[0].field["path"] == f"spec.tls.{field}"
    key = {"certCacheSize": "cert_cache_size", "maxResponseBytes": "max_response_bytes"}[field]
    try:
        load(_tls_config(**{key: value}))
        loads = True
    except LoadError:
        loads = False
    assert loads is accepted


def test_integral_float_is_written_as_an_int():
    settings_, results = _config_with({"tls": {"secretName": "ca", "certCacheSize": 500.0}})
    assert results == []
    text = pipelock_config.render(_agent(settings_), settings_)
    assert "cert_cache_size: 500\n" in text


def _resource_list(annotations):
    item = AGENT_ITEM.replace('      pipelock.dev/inject: "true"\n',
                              '      pipelock.dev/inject: "true"\n' + annotations)
    return f"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{item}".encode()


@pytest.mark.parametrize("identity", ['" team/bot"', '"team/bot\\t"', '""', '"   "', '"\\u00a0bot"'])
def test_identity_annotation_pipelock_refuses_is_an_error(identity):
    out, err, code = run_function(_resource_list(f"      pipelock.dev/agent-identity: {identity}\n"))
    assert code == 1, err
    errors = [r for r in yaml.safe_load(out)["results"] if r["severity"] == "error"]
    assert [e["field"]["path"] for e in errors] == ["metadata.annotations[pipelock.dev/agent-identity]"]
    assert errors[0]["resourceRef"]["name"] == "agent"
    # and Pipelock itself would refuse that identity
    with pytest.raises(LoadError):
        load(f"default_agent_identity: {identity}\nbind_default_agent_identity: true\n")


def test_identity_annotation_that_pipelock_accepts_is_written():
    out, err, code = run_function(_resource_list("      pipelock.dev/agent-identity: team/research bot\n"))
    assert code == 0, err
    configs = [d["data"]["pipelock.yaml"] for d in yaml.safe_load(out)["items"] if d["kind"] == "ConfigMap"]
    assert load(configs[0])["default_agent_identity"] == "team/research bot"
