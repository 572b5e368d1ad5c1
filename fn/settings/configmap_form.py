"""The ConfigMap form of the functionConfig: `kpt fn eval -- k=v` and a
Kptfile `configMap:` give string values only. Each key is a dotted path
into the spec; lists are comma-separated; label maps are `k=v,k2=v2`."""

from .. import conventions as C
from ..krm import results as R
from ..krm import yamlio
from . import schema


def to_document(data, ref):
    """(a CompanionProxy document, [error results]) from a ConfigMap's data."""
    values = data.get("data") or {}
    spec: dict = {}
    errors = []
    for key in sorted(values):
        raw = values[key]
        field = R.field(f"data.{key}", current=str(raw))
        target = schema.at(key)
        if target is None:
            errors.append(R.Result(f"invalid functionConfig: data.{key}: unknown setting; settings are the spec "
                                   f"fields of {C.KIND}, as dotted paths (e.g. preset, proxyEgress.ports)",
                                   R.ERROR, ref, field))
            continue
        try:
            value = _coerce(str(raw), target)
        except ValueError as err:
            errors.append(R.Result(f"invalid functionConfig: data.{key}: {err}", R.ERROR, ref, field))
            continue
        node = spec
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return {"apiVersion": C.API_VERSION, "kind": C.KIND, "metadata": {"name": "function-input"}, "spec": spec}, errors


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
        items = schema.deref(target.get("items") or {})
        if items.get("type") == "object":
            raise ValueError(f"a list of objects cannot be given as a string: use a {C.KIND} functionConfig")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return [_coerce(p, items) for p in parts]
    if kind == "object":
        if target.get("properties"):
            raise ValueError(f"set its fields one by one (e.g. {next(iter(target['properties']))}) "
                             f"or use a {C.KIND} functionConfig")
        pairs = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            if "=" not in part:
                raise ValueError(f"{part!r} is not key=value")
            k, v = part.split("=", 1)
            pairs[k.strip()] = v.strip()
        return pairs
    return text
