"""The schema compiled ahead of time (settings/schema_valid.py) is the
shipped schema, and says exactly what jsonschema says: valid or not, on the
configs of the test cases and examples, on each of them broken one field
at a time, and on configs generated from the schema (hypothesis)."""

import copy

import jsonschema
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelock_companion.settings import schema, schema_compiler, schema_valid

import kpt_packages

SCHEMA = schema.schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
END = "$(?!\\n)"


def jsonschema_says_valid(document):
    return next(iter(VALIDATOR.iter_errors(document)), None) is None


def test_the_compiled_code_is_the_schema_of_today():
    # After a change to schemas/companionproxy.schema.json:
    #   python -m pipelock_companion.settings.schema_compiler > fn/settings/schema_valid.py
    with open(schema_valid.__file__, encoding="utf-8") as f:
        assert f.read() == schema_compiler.generate(), "schema_valid.py is out of date: regenerate it"


def _configs():
    """Every CompanionProxy of the test cases and the examples."""
    found = []
    for folder in kpt_packages.packages(kpt_packages.CASES) + kpt_packages.packages(kpt_packages.EXAMPLES):
        doc = yaml.load(kpt_packages.resource_list(folder), Loader=yaml.CSafeLoader)
        config = doc.get("functionConfig")
        if isinstance(config, dict) and config.get("kind") == "CompanionProxy":
            found.append(config)
    return found


WRONG = [None, True, 0, -1, 1.5, "", "x\n", "UPPER", [], {}, ["x"], {"x": "y"}, "*" * 300]


def _broken(config):
    """The config with one value at a time replaced by a wrong one, or left out."""
    def walk(node, set_value):
        if isinstance(node, dict):
            for key in list(node):
                value = node.pop(key)
                yield
                node[key] = value
                yield from walk(node[key], lambda v, k=key, n=node: n.__setitem__(k, v))
        elif isinstance(node, list):
            for index in range(len(node)):
                yield from walk(node[index], lambda v, i=index, n=node: n.__setitem__(i, v))
        if set_value is not None:
            for wrong in WRONG:
                set_value(wrong)
                yield
            set_value(node)

    broken = copy.deepcopy(config)
    for _ in walk(broken, None):
        yield copy.deepcopy(broken)


def test_the_configs_of_the_golden_cases_and_examples_and_each_broken_one_field_at_a_time():
    configs = _configs()
    assert len(configs) >= 10
    verdicts = {True: 0, False: 0}
    for config in configs:
        assert schema_valid.valid(config) is jsonschema_says_valid(config), config
        for broken in _broken(config):
            expected = jsonschema_says_valid(broken)
            assert schema_valid.valid(broken) is expected, broken
            verdicts[expected] += 1
    assert verdicts[False] > 1000 and verdicts[True] > 50, verdicts


# -- every field of the schema at its edges --------------------------------------

def _minimal(node):
    """A small value the node accepts (its required fields filled in)."""
    node = _deref(node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type", "string" if "pattern" in node else None)
    if kind == "integer":
        return node.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return [_minimal(node["items"]) for _ in range(node.get("minItems", 0))]
    if kind == "object":
        properties = node.get("properties", {})
        required = list(node.get("required", [])) + [k for branch in node.get("oneOf", [])[:1]
                                                     for k in branch.get("required", [])]
        out = {k: _minimal(properties[k]) for k in required}
        if len(out) < node.get("minProperties", 0):
            out["a"] = _minimal(node["additionalProperties"])
        return out
    return "a"


def _fields(node, path=()):
    """(path, schema) of the document and of every field, list entry and map value in it."""
    node = _deref(node)
    yield path, node
    for key, sub in node.get("properties", {}).items():
        yield from _fields(sub, (*path, key))
    if "items" in node:
        yield from _fields(node["items"], (*path, 0))
    if isinstance(node.get("additionalProperties"), dict):
        yield from _fields(node["additionalProperties"], (*path, "a"))


def _edges(node):
    """Values at a field's edges: lengths and bounds either side, each enum value, wrong types."""
    out = [*WRONG, "A", "a", "a-", "1", "a.b", "a/b", "*.a", "10.0.0.0/8", "1:2"]
    out += [v for value in node.get("enum", []) for v in (value, value.lower(), value + "s")]
    out += ["a" * n for k in ("minLength", "maxLength") if k in node for n in (node[k] - 1, node[k], node[k] + 1)]
    out += [n for k in ("minimum", "maximum") if k in node for n in (node[k] - 1, node[k], node[k] + 1)]
    out += [float(n) for k in ("minimum", "maximum") if k in node for n in (node[k] - 1, node[k], node[k] + 1)]
    return out


def _with(document, schema_path, value):
    """The document with `value` at the path, the containers on the way made as small as they may be."""
    document = copy.deepcopy(document)
    node, container = SCHEMA, document
    for step, next_step in zip(schema_path, (*schema_path[1:], None), strict=True):
        node = _deref(node)
        sub = node["items"] if step == 0 else node.get("properties", {}).get(step, node.get("additionalProperties"))
        if next_step is None:
            if step == 0 and not container:
                container.append(value)
            else:
                container[step] = value
            break
        if step == 0:
            if not container:
                container.append(_minimal(sub))
        elif step not in container:
            container[step] = _minimal(sub)
        node, container = sub, container[step]
    return document


def test_every_field_of_the_schema_at_its_edges():
    base = _minimal(SCHEMA)
    assert jsonschema_says_valid(base)
    verdicts = {True: 0, False: 0}
    for path, node in _fields(SCHEMA):
        if not path:
            continue
        for value in _edges(node):
            document = _with(base, path, value)
            expected = jsonschema_says_valid(document)
            assert schema_valid.valid(document) is expected, (path, value)
            verdicts[expected] += 1
    assert verdicts[True] > 300 and verdicts[False] > 1000, verdicts


# -- configs generated from the schema ------------------------------------------

_junk = st.recursive(st.none() | st.booleans() | st.integers(-3, 70000) | st.floats() | st.text(max_size=6),
                     lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner,
                                                                                 max_size=2),
                     max_leaves=4)


def _deref(node):
    if "$ref" not in node:
        return node
    base = _deref(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]])
    return {**base, **{k: v for k, v in node.items() if k != "$ref"}}


_MADE: dict = {}


def values(node, loose):
    """Values for a schema node: ones it accepts; when `loose`, also near
    misses and anything at all, at every level."""
    key = (id(node), loose)  # one strategy per node of the schema (they live as long as SCHEMA)
    if key not in _MADE:
        accepted = _conforming(node, loose)
        _MADE[key] = st.one_of(accepted, accepted, accepted, _near_miss(node), _junk) if loose else accepted
    return _MADE[key]


def _near_miss(node):
    """Values at and just past the node's edges."""
    node = _deref(node)
    if node.get("type") == "string" or "pattern" in node:
        edges = [n for k in ("minLength", "maxLength") if k in node for n in (node[k] - 1, node[k], node[k] + 1)]
        return st.one_of(
            _conforming(node, False).flatmap(lambda s: st.sampled_from(
                [s + "\n", " " + s, s + " ", s.upper(), s + "/", s + "," + s, "", (s or "a") * 300])),
            st.sampled_from(["a" * n for n in edges] or [""]))
    if node.get("type") == "integer":
        edges = [n for k in ("minimum", "maximum") if k in node for n in (node[k] - 1, node[k], node[k] + 1)]
        return st.sampled_from([True, 2.5, "1", float("nan"), float("inf"), 10 ** 20, *edges, *map(float, edges)])
    return _junk


def _conforming(node, loose):
    node = _deref(node)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type", "string" if "pattern" in node else None)
    if kind == "string":
        if "pattern" in node and node["pattern"].endswith(END):
            return st.from_regex(node["pattern"][:-len(END)], fullmatch=True)
        return st.text(min_size=node.get("minLength", 0), max_size=8)
    if kind == "integer":
        low, high = node.get("minimum", -5), min(node.get("maximum", 10 ** 6), 10 ** 19)
        return st.one_of(st.integers(low, high), st.integers(low, min(high, 10 ** 6)).map(float))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(values(node.get("items", {}), loose), min_size=node.get("minItems", 0), max_size=2)
    if kind == "object":
        return _objects(node, loose)
    return _junk


def _objects(node, loose):
    properties = node.get("properties", {})
    required = [k for k in node.get("required", []) if k in properties]
    fields = st.fixed_dictionaries({k: values(properties[k], loose) for k in required},
                                   optional={k: values(v, loose) for k, v in properties.items() if k not in required})
    extra = node.get("additionalProperties", True)
    if isinstance(extra, dict):
        names = _conforming(node["propertyNames"], False) if "propertyNames" in node else st.text(max_size=6)
        more = st.dictionaries(st.one_of(names, names, st.text(max_size=4)) if loose else names, values(extra, loose),
                               min_size=node.get("minProperties", 0), max_size=2)
        fields = st.tuples(fields, more).map(lambda pair: {**pair[1], **pair[0]})
    if not loose:
        return fields
    unknown = st.dictionaries(st.sampled_from(["unknown", "Mode", "spec"]), _junk, max_size=1)
    return st.one_of(fields, fields, fields, st.tuples(fields, unknown).map(lambda pair: {**pair[0], **pair[1]}))


def _one_value_replaced(document, data):
    """The document with one value somewhere in it replaced by a near miss or anything."""
    places = []

    def walk(node):
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            places.append((node, key))
            walk(child)

    walk(document)
    if places:
        node, key = data.draw(st.sampled_from(places))
        node[key] = data.draw(st.one_of(_junk, st.sampled_from(WRONG)))
    return document


# Few examples, each large (a whole config): drawing from the schema's patterns is the slow part.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


@SETTINGS
@given(_conforming(SCHEMA, False), st.data())
def test_generated_configs_and_each_with_one_value_replaced(document, data):
    assert schema_valid.valid(document) is jsonschema_says_valid(document)
    broken = _one_value_replaced(document, data)
    assert schema_valid.valid(broken) is jsonschema_says_valid(broken)


@SETTINGS
@given(_conforming(SCHEMA, True))
def test_generated_configs_wrong_anywhere(document):
    assert schema_valid.valid(document) is jsonschema_says_valid(document)
