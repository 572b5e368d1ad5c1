"""The functionConfig's JSON Schema (schemas/companionproxy.schema.json,
shipped in the package) and its errors as results naming the field."""

import functools
import os

from ..krm import results as R
from . import schema_valid

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schema", "companionproxy.schema.json")


@functools.cache
def schema():
    import json  # here: a valid config is checked without reading the schema (schema_valid)

    with open(SCHEMA_FILE, encoding="utf-8") as f:
        return json.load(f)


def validate(document, source, ref):
    """Schema errors as results, each naming the field path. In the
    ConfigMap form, paths are given as the ConfigMap's data keys.

    jsonschema is the validator of record; the schema compiled ahead of
    time (schema_valid.py) only says a config is valid without importing it
    (which costs a run ~3x `import yaml`). A config it finds invalid goes
    to jsonschema, which words the errors, and is right if it finds none."""
    if schema_valid.valid(document):
        return []
    import jsonschema  # heavy import, only for a config with errors to word

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out = []
    for error in errors:
        path = path_text(error.absolute_path)
        if source == "ConfigMap" and path.startswith("spec."):
            path = "data." + path[len("spec."):]
        out.append(R.Result(
            f"invalid functionConfig: {path or '(top level)'}: {_describe(error)}", R.ERROR, ref,
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


def path_text(path):
    """`spec.selector.kinds[0]` from a path of keys and indexes."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _scalar_or_none(value):
    return value if isinstance(value, (str, int, float, bool)) else None


def at(dotted):
    """The schema of a spec field by its dotted path (`proxyEgress.ports`), or None."""
    root = schema()
    node = root["$defs"]["spec"]
    for part in dotted.split("."):
        node = deref(node)
        props = node.get("properties") or {}
        if part not in props:
            return None
        node = props[part]
    return deref(node)


def deref(node):
    root = schema()
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node
