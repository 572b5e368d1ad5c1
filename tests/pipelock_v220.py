"""Pipelock v2.2.0's config loader, transcribed for the keys we generate.

The oracle the generated configs are loaded with. Transcribed from
luckyPipewrench/pipelock at tag v2.2.0 (commit 51d5289), not from our code:

- internal/config/config.go: the Config, FetchProxy, Monitoring,
  ForwardProxy and TLSInterception structs (field names and Go types),
  Load() (yaml.v3 Decoder with KnownFields(true), a single document),
  ApplyDefaults() and the validators of Validate() that these keys reach,
  in Validate()'s order (the first error wins);
- gopkg.in/yaml.v3 v3.0.1 (Pipelock's go.mod), decode.go and resolve.go:
  how a YAML node becomes a Go int, int64, float64, bool, *bool, string or
  []string, including YAML 1.1 bools, floats truncated into ints and the
  int64 range;
- Go's src/time/format.go ParseDuration, and net.SplitHostPort.

What the model cannot see is stated where it is: os.Stat and the key's file
mode depend on the pod, and are checked against the generated Deployment
by the test instead. A key whose struct is not transcribed here fails the
load loudly ("not transcribed"), so a new key cannot slip through unchecked.
"""

import math
import re

import yaml

# -- the structs: yaml key -> Go type (a nested dict is a struct) --------------------

MONITORING = {"max_url_length": "int", "entropy_threshold": "float64", "subdomain_entropy_threshold": "float64",
              "max_requests_per_minute": "int", "max_data_per_minute": "int", "blocklist": "[]string",
              "subdomain_entropy_exclusions": "[]string"}
FETCH_PROXY = {"listen": "string", "timeout_seconds": "int", "max_response_mb": "int", "user_agent": "string",
               "monitoring": MONITORING}
FORWARD_PROXY = {"enabled": "bool", "max_tunnel_seconds": "int", "idle_timeout_seconds": "int",
                 "sni_verification": "*bool", "redirect_websocket_hosts": "[]string"}
TLS_INTERCEPTION = {"enabled": "bool", "ca_cert": "string", "ca_key": "string", "passthrough_domains": "[]string",
                    "cert_ttl": "string", "cert_cache_size": "int", "max_response_bytes": "int64"}
# Config's other fields are structs, lists of structs or maps this model
# does not transcribe: loading a config that sets one fails as "not transcribed".
NOT_TRANSCRIBED = "not transcribed"
CONFIG = {
    "version": "int", "mode": "string", "enforce": "*bool", "explain_blocks": "*bool", "api_allowlist": "[]string",
    "fetch_proxy": FETCH_PROXY, "forward_proxy": FORWARD_PROXY, "metrics_listen": "string",
    "tls_interception": TLS_INTERCEPTION, "default_agent_identity": "string", "bind_default_agent_identity": "bool",
    "license_key": "string", "license_file": "string", "license_public_key": "string", "internal": "[]string",
    "trusted_domains": "[]string",
    **dict.fromkeys((
        "suppress", "websocket_proxy", "dlp", "canary_tokens", "response_scanning", "mcp_input_scanning",
        "mcp_tool_scanning", "mcp_tool_policy", "git_protection", "logging", "session_profiling",
        "adaptive_enforcement", "mcp_session_binding", "request_body_scanning", "kill_switch", "sentry", "emit",
        "tool_chain_detection", "mcp_ws_listener", "cross_request_detection", "reverse_proxy", "scan_api",
        "address_protection", "seed_phrase_detection", "rules", "file_sentry", "sandbox", "flight_recorder",
        "mcp_binary_integrity", "mcp_tool_provenance", "behavioral_baseline", "airlock", "browser_shield",
        "media_policy", "a2a_scanning", "taint", "mediation_envelope", "agents", "ssrf"), NOT_TRANSCRIBED),
}
STRUCT_NAMES = {id(CONFIG): "config.Config", id(FETCH_PROXY): "config.FetchProxy", id(MONITORING): "config.Monitoring",
                id(FORWARD_PROXY): "config.ForwardProxy", id(TLS_INTERCEPTION): "config.TLSInterception"}
INT_RANGE = {"int": (-(2**63), 2**63 - 1), "int64": (-(2**63), 2**63 - 1)}  # amd64 and arm64 only
DEFAULT_LISTEN = "127.0.0.1:8888"


class LoadError(Exception):
    """Pipelock would exit at start with this message."""


# -- Load -------------------------------------------------------------------------------------

def load(text):
    """The config Pipelock v2.2.0 would run with, or LoadError."""
    documents = list(yaml.compose_all(text, Loader=_RawLoader))
    if len(documents) > 1:
        raise LoadError("multiple YAML documents not supported (pipelock config must be a single document)")
    errors = []
    config = _decode_struct(documents[0], CONFIG, errors) if documents and documents[0] is not None else {}
    if errors:
        raise LoadError("yaml: unmarshal errors:\n  " + "\n  ".join(errors))
    _apply_defaults(config)
    _validate(config)
    return config


class _RawLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
                 yaml.resolver.BaseResolver):
    """Nodes with their text and style, nothing resolved: yaml.v3 resolves."""

    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.resolver.BaseResolver.__init__(self)


_STR = "tag:yaml.org,2002:str"


def _decode_struct(node, struct, errors):
    out: dict = {}
    if _is_null(node):
        return out
    if not isinstance(node, yaml.MappingNode):
        errors.append(_terror(node, STRUCT_NAMES[id(struct)]))
        return out
    seen: set = set()
    for key_node, value_node in node.value:
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key in seen:  # yaml.v3 uniqueKeys
            errors.append(f"line {line}: mapping key {key!r} already defined")
            continue
        seen.add(key)
        if key not in struct:  # KnownFields(true)
            errors.append(f"line {line}: field {key} not found in type {STRUCT_NAMES[id(struct)]}")
            continue
        kind = struct[key]
        if kind == NOT_TRANSCRIBED:
            raise AssertionError(f"{key}: {NOT_TRANSCRIBED} in tests/pipelock_v220.py; transcribe its struct first")
        if isinstance(kind, dict):
            out[key] = _decode_struct(value_node, kind, errors)
        else:
            value = _decode(value_node, kind, errors)
            if value is not _UNSET:
                out[key] = value
    return out


_UNSET = object()


def _decode(node, kind, errors):
    if kind == "[]string":
        if _is_null(node):
            return None
        if not isinstance(node, yaml.SequenceNode):
            errors.append(_terror(node, "[]string"))
            return _UNSET
        items = [_decode(item, "string", errors) for item in node.value]
        return ["" if item is _UNSET or item is None else item for item in items]
    if not isinstance(node, yaml.ScalarNode):
        errors.append(_terror(node, kind.lstrip("*")))
        return _UNSET
    tag, resolved = resolve(node)
    if tag == "!!null":  # d.null(): a pointer becomes nil, anything else keeps its zero
        return None if kind == "*bool" else _UNSET
    if kind == "string":
        return node.value
    if kind in ("int", "int64"):
        low, high = INT_RANGE[kind]
        if tag == "!!int" and low <= resolved <= high:
            return resolved
        # yaml.v3 truncates a float into an int; beyond the int64 range Go's
        # conversion is undefined, refused here.
        if tag == "!!float" and math.isfinite(resolved) and low <= int(resolved) <= high:
            return int(resolved)
    elif kind == "float64":
        if tag in ("!!int", "!!float"):
            return float(resolved)
    elif kind in ("bool", "*bool"):
        if tag == "!!bool":
            return resolved
        if tag == "!!str":
            # decode.go: YAML 1.1 bools, only into a typed bool (quoted ones too).
            if resolved in ("y", "Y", "yes", "Yes", "YES", "on", "On", "ON"):
                return True
            if resolved in ("n", "N", "no", "No", "NO", "off", "Off", "OFF"):
                return False
    errors.append(_terror(node, kind.lstrip("*"), tag))
    return _UNSET


def _terror(node, go_type, tag=None):
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    shown = value if len(value) <= 10 else value[:7] + "..."
    tag = tag or {yaml.MappingNode: "!!map", yaml.SequenceNode: "!!seq"}.get(type(node), "!!str")
    return f"line {node.start_mark.line + 1}: cannot unmarshal {tag} `{shown}` into {go_type}"


def _is_null(node):
    return isinstance(node, yaml.ScalarNode) and resolve(node)[0] == "!!null"


# -- yaml.v3 resolve.go ------------------------------------------------------------------------

_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_MAP = {**dict.fromkeys(("true", "True", "TRUE"), ("!!bool", True)),
        **dict.fromkeys(("false", "False", "FALSE"), ("!!bool", False)),
        **dict.fromkeys(("", "~", "null", "Null", "NULL"), ("!!null", None)),
        **dict.fromkeys((".nan", ".NaN", ".NAN"), ("!!float", math.nan)),
        **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), ("!!float", math.inf)),
        **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), ("!!float", -math.inf))}
_HINT = {**dict.fromkeys("+-", "S"), **dict.fromkeys("0123456789", "D"), **dict.fromkeys("yYnNtTfFoO~", "M"),
         ".": "."}
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$")


def resolve(node):
    """(short tag, value) of a scalar node, as yaml.v3's resolve()."""
    if node.style is not None:  # quoted, literal or folded: a string
        return "!!str", node.value
    if node.tag != _STR:
        raise AssertionError(f"explicit tag {node.tag} is not transcribed")
    text = node.value
    hint = _HINT.get(text[:1], "N" if not text else None)
    if hint is None:
        return "!!str", text
    if text in _MAP:
        return _MAP[text]
    if hint == ".":
        try:
            return "!!float", float(text)
        except ValueError:
            return "!!str", text
    if hint in ("D", "S"):
        if _TIMESTAMP.match(text):
            return "!!timestamp", text
        plain = text.replace("_", "")
        for parse in (_go_parse_int, _go_parse_uint):
            value = parse(plain)
            if value is not None:
                return "!!int", value
        if _FLOAT.match(plain):
            return "!!float", float(plain)
        for prefix, base in (("0b", 2), ("-0b", 2), ("0o", 8), ("-0o", 8)):
            if plain.startswith(prefix):
                digits = plain[len(prefix):]
                if digits and all(c in "01234567"[:base] for c in digits):
                    value = int(digits, base) * (-1 if prefix.startswith("-") else 1)
                    if -(2**63) <= value <= 2**64 - 1:
                        return "!!int", value
    return "!!str", text


def _go_integer(text):
    """strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, a leading 0 is
    octal), without the range check; None when it is not one."""
    sign = -1 if text[:1] == "-" else 1
    body = text[1:] if text[:1] in "+-" else text
    prefixes = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
    base = prefixes.get(body[:2], 8 if body[:1] == "0" and len(body) > 1 else 10)
    digits = body[2:] if body[:2] in prefixes else body
    if not digits:
        return None
    try:
        return sign * int(digits, base)
    except ValueError:
        return None


def _go_parse_int(text):
    value = _go_integer(text)
    return value if value is not None and -(2**63) <= value <= 2**63 - 1 else None


def _go_parse_uint(text):
    value = _go_integer(text) if text[:1] not in "+-" else None
    return value if value is not None and 0 <= value <= 2**64 - 1 else None


# -- ApplyDefaults (the keys above) ------------------------------------------------------------

def _apply_defaults(c):
    c.setdefault("version", 0)
    if c["version"] == 0:
        c["version"] = 1
    if not c.get("mode"):
        c["mode"] = "balanced"
    fetch = c.setdefault("fetch_proxy", {})
    if not fetch.get("listen"):
        fetch["listen"] = DEFAULT_LISTEN
    monitoring = fetch.setdefault("monitoring", {})
    for key, default in (("max_url_length", 2048), ("entropy_threshold", 4.5), ("subdomain_entropy_threshold", 4.0),
                         ("max_requests_per_minute", 60)):
        if monitoring.get(key, 0) <= 0:
            monitoring[key] = default
    forward = c.setdefault("forward_proxy", {})
    for key, default in (("max_tunnel_seconds", 300), ("idle_timeout_seconds", 120)):
        if forward.get(key, 0) <= 0:
            forward[key] = default
    tls = c.setdefault("tls_interception", {})
    if not tls.get("cert_ttl"):
        tls["cert_ttl"] = "24h"
    for key, default in (("cert_cache_size", 10000), ("max_response_bytes", 5 * 1024 * 1024)):
        if tls.get(key, 0) <= 0:
            tls[key] = default


# -- Validate (the validators these keys reach, in its order) -------------------------------------

def _validate(c):
    # validateMode
    if c["mode"] not in ("strict", "balanced", "audit"):
        raise LoadError(f"invalid mode {c['mode']!r}: must be strict, balanced, or audit")
    if c["mode"] == "strict" and not c.get("api_allowlist"):
        raise LoadError("strict mode requires at least one domain in api_allowlist")
    # validateFetchProxy
    monitoring = c["fetch_proxy"]["monitoring"]
    if any(entry == "" for entry in monitoring.get("blocklist") or []):
        raise LoadError("empty blocklist entry")
    if monitoring.get("subdomain_entropy_exclusions"):
        raise AssertionError(f"subdomain_entropy_exclusions: its validation is {NOT_TRANSCRIBED}")
    if monitoring.get("max_data_per_minute", 0) < 0:
        raise LoadError("fetch_proxy.monitoring.max_data_per_minute must be >= 0")
    # validateForwardProxy
    forward = c["forward_proxy"]
    if forward.get("enabled") and (forward["max_tunnel_seconds"] <= 0 or forward["idle_timeout_seconds"] <= 0):
        raise LoadError("forward_proxy timeouts must be positive")
    # validateTLSInterception (os.Stat and the key's mode: see the module docstring)
    tls = c["tls_interception"]
    if tls.get("enabled"):
        ttl = parse_duration(tls["cert_ttl"])
        if ttl <= 0:
            raise LoadError("tls_interception.cert_ttl must be positive")
        if tls["cert_cache_size"] <= 0:
            raise LoadError("tls_interception.cert_cache_size must be > 0")
        if tls["max_response_bytes"] <= 0:
            raise LoadError("tls_interception.max_response_bytes must be > 0")
    # validateMetricsListen
    if c.get("metrics_listen"):
        _, metrics_port = split_host_port(c["metrics_listen"], "metrics_listen")
        _, proxy_port = split_host_port(c["fetch_proxy"]["listen"], "fetch_proxy.listen")
        if metrics_port == proxy_port:
            raise LoadError(f"metrics_listen port {metrics_port} collides with fetch_proxy.listen port {proxy_port}")
    # validateDefaultAgentIdentity
    identity = c.get("default_agent_identity") or ""
    trimmed = identity.strip(GO_SPACE)
    if c.get("bind_default_agent_identity") and trimmed == "":
        raise LoadError("bind_default_agent_identity requires default_agent_identity")
    if identity != "" and trimmed != identity:
        raise LoadError("default_agent_identity must not contain leading or trailing whitespace")


# unicode.IsSpace, which strings.TrimSpace trims.
GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u2028\u2029\u202f\u205f\u3000")


def split_host_port(hostport, what):
    """net.SplitHostPort (src/net/ipsock.go)."""
    def bad(reason):
        return LoadError(f"invalid {what} {hostport!r}: address {hostport}: {reason}")

    j = k = 0
    i = hostport.rfind(":")
    if i < 0:
        raise bad("missing port in address")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise bad("missing ']' in address")
        if end + 1 == len(hostport):
            raise bad("missing port in address")
        if end + 1 != i:
            raise bad("too many colons in address" if hostport[end + 1] == ":" else "missing port in address")
        host, j, k = hostport[1:end], 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise bad("too many colons in address")
    if "[" in hostport[j:]:
        raise bad("unexpected '[' in address")
    if "]" in hostport[k:]:
        raise bad("unexpected ']' in address")
    return host, hostport[i + 1:]


# -- Go's time.ParseDuration ------------------------------------------------------------------------

_UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9}
_DURATION = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_duration(text):
    """Nanoseconds, or LoadError. Regex-driven here (ours in fn/ scans bytes
    as Go does); both follow format.go's arithmetic, float64 fractions included."""
    invalid = LoadError(f"tls_interception.cert_ttl: time: invalid duration {text!r}")
    body, negative = text, False
    if body[:1] in "+-" and body:
        negative, body = body[0] == "-", body[1:]
    if body == "0":
        return 0
    if not body:
        raise invalid
    total, pos = 0, 0
    while pos < len(body):
        match = _DURATION.match(body, pos)
        whole, fraction, unit = match.group(1), match.group(2), match.group(3)
        if match.end() == pos or not (whole or fraction):
            raise invalid
        if not unit:
            raise LoadError(f"tls_interception.cert_ttl: time: missing unit in duration {text!r}")
        if unit not in _UNITS:
            raise LoadError(f"tls_interception.cert_ttl: time: unknown unit {unit!r} in duration {text!r}")
        value = int(whole or "0")
        if value > 2**63 or value > 2**63 // _UNITS[unit]:
            raise invalid
        value *= _UNITS[unit]
        f, scale = _fraction(fraction or "")
        if f > 0:
            value += int(float(f) * (float(_UNITS[unit]) / scale))
            if value > 2**63:
                raise invalid
        total += value
        if total > 2**63:
            raise invalid
        pos = match.end()
    if negative:
        return -total
    if total > 2**63 - 1:
        raise invalid
    return total


def _fraction(digits):
    x, scale = 0, 1.0
    for digit in digits:
        if x > (2**63 - 1) // 10 or x * 10 + int(digit) > 2**63:
            break
        x, scale = x * 10 + int(digit), scale * 10
    return x, scale
