"""The functionConfig, read once into typed Settings.

Accepted forms (krm-conventions): our kind `CompanionProxy`; a `ConfigMap`
whose string values are dotted paths into the spec (`kpt fn eval -- k=v`,
Kptfile `configMap:`); nothing at all (kpt's empty placeholders), which
means "select the workloads annotated pipelock.dev/inject: "true"".
"""

from .. import conventions as C
from ..krm import results as R
from . import checks, schema
from .model import (
    DestinationSpec,
    Dns,
    Metrics,
    PolicyRef,
    Probes,
    ProxyEgress,
    Rollout,
    Scraper,
    Settings,
    Tls,
    WorkloadRef,
)

__all__ = [
    "DestinationSpec",
    "Dns",
    "Metrics",
    "PolicyRef",
    "Probes",
    "ProxyEgress",
    "Rollout",
    "Scraper",
    "Settings",
    "Tls",
    "WorkloadRef",
    "is_placeholder",
    "load",
]


def is_placeholder(data):
    """kpt's stand-ins for "no config": `{}` from render, an empty ConfigMap from eval."""
    if not data:
        return True
    return data.get("kind") == "ConfigMap" and not data.get("data")


def load(function_config):
    """(Settings, [Result]) for a functionConfig item (or None). With error
    results, the Settings are the defaults and must not be acted on."""
    if function_config is None:
        return Settings(), []
    data = function_config.data
    if not isinstance(data, dict) or is_placeholder(data):
        return Settings(), []
    ref = _ref(data)
    kind = data.get("kind")
    if kind == "ConfigMap":
        from . import configmap_form  # imported only for this form: a run starts faster without it

        document, errors = configmap_form.to_document(data, ref)
        if errors:
            return Settings(), errors
        source = "ConfigMap"
    elif kind == C.KIND:
        document, source = data, C.KIND
    else:
        return Settings(), [R.Result(
            f"functionConfig kind {kind!r} is not supported: use {C.API_VERSION} {C.KIND}, or a ConfigMap",
            R.ERROR, ref, R.field("kind", current=kind, proposed=C.KIND))]
    errors = schema.validate(document, source, ref)
    if errors:
        return Settings(), errors
    settings = Settings.from_spec(document.get("spec") or {}, source, ref)
    return settings, checks.check(settings)


def _ref(data):
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return {"apiVersion": str(data.get("apiVersion", "")), "kind": str(data.get("kind", "")),
            "name": str(meta.get("name", ""))}
