"""Compiles the functionConfig's JSON Schema into Python (settings/schema_valid.py).

    python -m pipelock_companion.settings.schema_compiler > fn/settings/schema_valid.py

jsonschema is the validator of record: it words every error. But importing
it (with referencing, rpds, attrs and its metaschemas) costs a run about
three times `import yaml`, on every kustomize-plugin run, which always
passes a config. The compiled check answers "valid" without it; only a
config it finds invalid is handed to jsonschema for the errors (and if
jsonschema finds none, jsonschema is right). tests/unit/test_schema_compiled.py
checks that the committed code is what this compiler makes of the schema
today, and that the two agree on many generated configs.

Only the keywords the schema uses are compiled, with Draft 2020-12's
meaning as jsonschema implements it; any other keyword is an error here,
so a schema change that needs more cannot pass unnoticed.
"""

import json
import sys

from . import schema

# Annotations: no effect on validity.
_IGNORED = {"$schema", "$id", "$defs", "title", "description", "examples", "default", "$comment"}

# Draft 2020-12 types, as jsonschema's type checker has them.
_TYPES = {
    "object": "isinstance(x, dict)",
    "array": "isinstance(x, list)",
    "string": "isinstance(x, str)",
    "boolean": "isinstance(x, bool)",
    "null": "x is None",
    "number": "isinstance(x, (int, float)) and not isinstance(x, bool)",
    "integer": "(isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())",
}
_NUMBER = _TYPES["number"]


class Unsupported(Exception):  # a limit of this compiler, named as such
    """A schema this compiler does not compile."""


class _Compiler:
    def __init__(self, root):
        self.root = root
        self.functions = []  # source of each function, in the order made
        self.patterns = {}   # pattern -> its name
        self.names = {}      # id of a schema node -> its function's name
        self.defs = {}       # $defs name -> its function's name
        self.bodies = {}     # a function's body -> its name

    def function_for(self, node, name=None):
        known = self.names.get(id(node))
        if known is not None:
            return known
        if name is None and isinstance(node, dict) and set(node) - _IGNORED == {"$ref"}:
            return self.ref(node["$ref"])  # a reference alone: the definition's own function
        name = name or f"_s{len(self.names)}"
        self.names[id(node)] = name
        checks = self.checks(node)
        lines = [f"def {name}(x):"]
        for check in checks[:-1] if checks and isinstance(checks[-1], str) else checks:
            if isinstance(check, str):  # a condition under which x is invalid
                lines += [f"    if {check}:", "        return False"]
            else:  # statements that return False when x is invalid
                lines += ["    " + line for line in check]
        if checks and isinstance(checks[-1], str):
            lines.append(f"    return {_negated(checks[-1])}")
        else:
            lines.append("    return True")
        body = "\n".join(lines[1:])
        if not name.startswith("_def_") and body in self.bodies:  # the same check again: one function
            self.names[id(node)] = self.bodies[body]
            return self.bodies[body]
        self.bodies.setdefault(body, name)
        self.functions.append("\n".join(lines))
        return name

    def ref(self, pointer):
        prefix = "#/$defs/"
        if not pointer.startswith(prefix):
            raise Unsupported(f"$ref {pointer}: only #/$defs/ references are compiled")
        name = pointer[len(prefix):]
        if name not in self.defs:
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
            self.defs[name] = f"_def_{snake}"
            self.function_for(self.root["$defs"][name], self.defs[name])
        return self.defs[name]

    def pattern(self, regexp):
        if regexp not in self.patterns:
            self.patterns[regexp] = f"_P{len(self.patterns)}"
        return self.patterns[regexp]

    def checks(self, node):
        """What makes x invalid under node: conditions, and blocks of statements."""
        if not isinstance(node, dict):
            raise Unsupported(f"a schema that is not an object: {node!r}")
        unknown = set(node) - _IGNORED - _KEYWORDS
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)} are not compiled")
        out: list = []
        if "$ref" in node:
            out.append(f"not {self.ref(node['$ref'])}(x)")
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            either = " or ".join(f"({_TYPES[t]})" for t in types) if len(types) > 1 else _TYPES[types[0]]
            out.append(f"not {either}" if either.startswith("isinstance") and " " not in either.split(")")[-1]
                       and either.count("(") == 1 else f"not ({either})")
        if "const" in node:
            out.append(f"x != {_string(node['const'])}")
        if "enum" in node:
            out.append(f"x not in ({', '.join(_string(v) for v in node['enum'])},)")
        out += self.strings(node)
        out += self.numbers(node)
        out += self.arrays(node)
        out += self.objects(node)
        if "oneOf" in node:
            checks = ", ".join(f"{self.function_for(sub)}(x)" for sub in node["oneOf"])
            out.append(f"[{checks}].count(True) != 1")
        return out

    def strings(self, node):
        out = []
        if "minLength" in node:
            out.append(f"isinstance(x, str) and len(x) < {int(node['minLength'])}")
        if "maxLength" in node:
            out.append(f"isinstance(x, str) and len(x) > {int(node['maxLength'])}")
        if "pattern" in node:  # as jsonschema: re.search (compiled when first used, and cached by re)
            out.append(f"isinstance(x, str) and re.search({self.pattern(node['pattern'])}, x) is None")
        return out

    @staticmethod
    def numbers(node):
        out = []
        if "minimum" in node:  # `x < m`, as jsonschema tests it (NaN passes both)
            out.append(f"{_NUMBER} and x < {node['minimum']!r}")
        if "maximum" in node:
            out.append(f"{_NUMBER} and x > {node['maximum']!r}")
        return out

    def arrays(self, node):
        out = []
        if "minItems" in node:
            out.append(f"isinstance(x, list) and len(x) < {int(node['minItems'])}")
        if "items" in node:
            out.append(f"isinstance(x, list) and not all(map({self.function_for(node['items'])}, x))")
        return out

    def objects(self, node):
        out: list = []
        if "minProperties" in node:
            out.append(f"isinstance(x, dict) and len(x) < {int(node['minProperties'])}")
        if "required" in node:
            keys = ", ".join(_string(k) for k in node["required"])
            out.append(f"isinstance(x, dict) and not all(k in x for k in ({keys},))")
        if "propertyNames" in node:
            out.append(f"isinstance(x, dict) and not all(map({self.function_for(node['propertyNames'])}, x))")
        properties = node.get("properties", {})
        extra = node.get("additionalProperties", True)
        if properties or extra is not True:
            if extra is False:
                other = ""
            elif isinstance(extra, dict):
                other = ", " + self.function_for(extra)
            else:
                raise Unsupported(f"additionalProperties {extra!r}")
            entries = [f"        {_string(k)}: {self.function_for(v)}," for k, v in properties.items()]
            out.append(["if isinstance(x, dict):", "    table: dict = {", *entries, "    }",
                        "    for key, value in x.items():",
                        f"        check = table.get(key{other})",
                        "        if check is None or not check(value):",
                        "            return False"])
        return out


_KEYWORDS = {"$ref", "type", "const", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum",
             "minItems", "items", "minProperties", "required", "propertyNames", "properties",
             "additionalProperties", "oneOf"}


def _long(line):
    """A line of generated code, marked when it may be long (a pattern)."""
    return line + "  # noqa: E501" if len(line) > 120 else line


def _negated(condition):
    """The condition under which x is valid, from one under which it is not."""
    for bad, good in ((" != ", " == "), (" not in (", " in (")):
        if bad in condition and " and " not in condition:
            return condition.replace(bad, good, 1)
    if condition.startswith("not ") and " and " not in condition and " or " not in condition:
        return condition[len("not "):]
    if condition.startswith("not (") and condition.endswith(")"):
        return condition[len("not "):]
    return f"not ({condition})"


def _string(value):
    """A string of the schema as Python source. Only strings are compiled as
    const and enum values: for them jsonschema's `equal` is `==`."""
    if not isinstance(value, str):
        raise Unsupported(f"const or enum value {value!r}: only strings are compiled")
    return json.dumps(value)


def generate(root=None):
    """The source of schema_valid.py for the schema (the shipped one by default)."""
    root = root if root is not None else schema.schema()
    compiler = _Compiler(root)
    entry = compiler.function_for(root, "_root")
    patterns = "\n".join(_long(f"{name} = {json.dumps(pattern)}") for pattern, name in compiler.patterns.items())
    return f'''"""GENERATED from schemas/companionproxy.schema.json by settings/schema_compiler.py: do not edit.

    python -m pipelock_companion.settings.schema_compiler > fn/settings/schema_valid.py

`valid(document)`: whether the functionConfig document is valid under the
schema, without importing jsonschema (which words the errors of one that is
not: settings/schema.py).
"""

import re

{patterns}


def valid(document):
    return {entry}(document)


''' + "\n\n\n".join(compiler.functions) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate())
