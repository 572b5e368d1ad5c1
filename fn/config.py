"""The functionConfig: reading, validation against schemas/, defaults.

Accepted forms (krm-conventions): our kind `CompanionProxy`; a `ConfigMap`
whose string values are dotted paths into the spec (`kpt fn eval -- k=v`,
Kptfile `configMap:`); nothing at all (kpt's empty placeholders), which
means "select the workloads annotated pipelock.dev/inject: "true"".
"""

import copy
import json
import os

from .krm import results as R
from .krm import yamlio

API_VERSION = "fn.pipelock.dev/v1alpha1"
KIND = "CompanionProxy"
SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schema", "companionproxy.schema.json")

DEFAULT_DENY_CIDRS = [
    "169.254.0.0/16",      # link-local: cloud metadata (169.254.169.254)
    "10.0.0.0/8",          # private: cluster pod/service ranges, VPCs
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",       # carrier-grade NAT, used by some clusters for pods
    "fd00:ec2::254/128",   # AWS IMDS over IPv6
    "fc00::/7",            # unique local IPv6
    "fe80::/10",           # link-local IPv6
]

DEFAULTS = {
    "mode": "generate",
    "selector": {},
    "exclude": {},
    "workloads": [],
    "image": "ghcr.io/luckypipewrench/pipelock",
    "version": "2.2.0",
    "replicas": 2,
    "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    },
    "preset": "balanced",
    "agentIdentity": None,
    "apiAllowlist": [],
    "passthroughDomains": [],
    "noProxy": [],
    "clusterDomain": "cluster.local",
    "dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}, "cidrs": []},
    "proxyEgress": {"ports": [80, 443], "allowCIDRs": ["0.0.0.0/0", "::/0"], "denyCIDRs": DEFAULT_DENY_CIDRS},
    "destinations": [],
    "tls": None,
    "existingPolicies": "report",
    "downloadingInitContainers": "warn",
    "legacySidecar": "warn",
    "rollout": {"dependsOn": False, "argoSyncWaves": False},
    "probes": {
        "enabled": False,
        "image": "curlimages/curl:8.11.1",
        "externalURL": "https://example.com",
        "externalTCP": "1.1.1.1:443",
    },
}

TLS_DEFAULTS = {"certKey": "ca.crt", "keyKey": "ca.key", "defaultMode": 0o440, "fsGroup": 65534}

_schema = None


def schema():
    global _schema
    if _schema is None:
        with open(SCHEMA_FILE, encoding="utf-8") as f:
            _schema = json.load(f)
    return _schema


class Config:
    """The effective settings: the user's spec over DEFAULTS."""

    def __init__(self, spec=None, source=None):
        self.spec = _merge(DEFAULTS, spec or {})
        self.source = source  # "CompanionProxy", "ConfigMap" or None
        if self.spec["tls"] is not None:
            self.spec["tls"] = _merge(TLS_DEFAULTS, self.spec["tls"])

    def __getitem__(self, key):
        return self.spec[key]

    @property
    def image_ref(self):
        return f"{self.spec['image']}:{self.spec['version']}"

    @property
    def has_selector(self):
        return bool(self.spec["selector"]) and any(self.spec["selector"].values())


def _merge(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in ("selector", "exclude"):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def is_placeholder(data):
    """kpt's stand-ins for "no config": `{}` from render, an empty ConfigMap from eval."""
    if not data:
        return True
    return data.get("kind") == "ConfigMap" and not data.get("data")


def load(function_config):
    """(Config, [Result]) for a functionConfig item (or None)."""
    if function_config is None:
        return Config(), []
    try:
        data = function_config.data
    except Exception as err:  # malformed config text: the reader already checked syntax
        return Config(), [R.Result(f"functionConfig cannot be read: {err}", file=None)]
    if not isinstance(data, dict) or is_placeholder(data):
        return Config(), []
    kind = data.get("kind")
    if kind == "ConfigMap":
        document, errors = _from_config_map(data)
        if errors:
            return Config(), errors
        source = "ConfigMap"
    elif kind == KIND:
        document, source = data, KIND
    else:
        return Config(), [R.Result(
            f"functionConfig kind {kind!r} is not supported: use {API_VERSION} {KIND}, or a ConfigMap",
            resource_ref=_ref(data), field=R.field("kind", current=kind, proposed=KIND))]
    errors = validate(document, source)
    if errors:
        return Config(), errors
    return Config(document.get("spec") or {}, source), []


def validate(document, source=KIND):
    """Schema errors as results, each naming the field path."""
    import jsonschema  # heavy import, only when there is a config to check

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out = []
    for error in errors:
        path = _path_text(error.absolute_path)
        if source == "ConfigMap" and path.startswith("spec."):
            path = "data." + path[len("spec."):]
        message = _describe(error)
        out.append(R.Result(
            f"invalid functionConfig: {path or '(top level)'}: {message}",
            resource_ref=_ref(document),
            field=R.field(path or ".", current=_scalar_or_none(error.instance))))
    return out


def _describe(error):
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        return "needs exactly one of podLabels (pods behind a Service) or cidrs (addresses)"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        return f"{error.message}; known fields: {', '.join(allowed)}"
    return error.message


def _path_text(path):
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _scalar_or_none(value):
    return value if isinstance(value, (str, int, float, bool)) else None


def _ref(data):
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return {"apiVersion": str(data.get("apiVersion", "")), "kind": str(data.get("kind", "")), "name": str(meta.get("name", ""))}


# --- ConfigMap form --------------------------------------------------------

def _from_config_map(data):
    """A CompanionProxy document from ConfigMap data: `preset: strict`,
    `proxyEgress.ports: "80,443"`, `selector.matchLabels: "app=agent"`."""
    values = data.get("data") or {}
    spec, errors = {}, []
    for key in sorted(values):
        raw = values[key]
        field = R.field(f"data.{key}", current=str(raw))
        target = _schema_at(key)
        if target is None:
            errors.append(R.Result(f"invalid functionConfig: data.{key}: unknown setting; "
                                   f"settings are the spec fields of {KIND}, as dotted paths (e.g. preset, proxyEgress.ports)",
                                   resource_ref=_ref(data), field=field))
            continue
        try:
            value = _coerce(str(raw), target)
        except ValueError as err:
            errors.append(R.Result(f"invalid functionConfig: data.{key}: {err}", resource_ref=_ref(data), field=field))
            continue
        node = spec
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "function-input"}, "spec": spec}, errors


def _schema_at(dotted):
    root = schema()
    node = root["$defs"]["spec"]
    for part in dotted.split("."):
        node = _deref(root, node)
        props = node.get("properties") or {}
        if part not in props:
            return None
        node = props[part]
    return _deref(root, node)


def _deref(root, node):
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _coerce(text, target):
    kind = target.get("type")
    if kind == "integer":
        value = yamlio.parse_int(text.strip())
        if not isinstance(value, int):
            raise ValueError(f"{text!r} is not an integer")
        return value
    if kind == "boolean":
        if text.strip().lower() not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return text.strip().lower() == "true"
    if kind == "array":
        items = _deref(schema(), target.get("items") or {})
        if items.get("type") == "object":
            raise ValueError(f"a list of objects cannot be given as a string: use a {KIND} functionConfig")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return [_coerce(p, items) for p in parts]
    if kind == "object":
        if target.get("properties"):
            raise ValueError(f"set its fields one by one (e.g. {next(iter(target['properties']))}) or use a {KIND} functionConfig")
        pairs = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            if "=" not in part:
                raise ValueError(f"{part!r} is not key=value")
            k, v = part.split("=", 1)
            pairs[k.strip()] = v.strip()
        return pairs
    return text
