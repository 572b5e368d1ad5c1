"""Reads function input: a ResourceList (or List), or a plain multi-document stream.

One pass over libyaml's events (`walk`) finds where each item's text starts
and ends (`documents`, `spans`) and reads the little every item needs
(`identity`: apiVersion, kind, metadata). Item text is kept as it came, so
an item the function does not change is written back byte for byte; only
the items the function looks into are composed into nodes, later, from
their own text (`Item.node`). The same pass enforces the input limits
(`limits`). Input that does not parse as a whole is read piece by piece
(`salvage`).
"""

import yaml

from .documents import RESOURCE_LIST_KINDS, read_stream
from .errors import InputError, TooMuch, from_yaml_error
from .limits import ALIAS_RATIO, MAX_ALIAS_EXPANSION, MAX_DEPTH, MAX_INPUT_BYTES, MAX_ITEMS, MAX_METADATA_NODES
from .parsed import Parsed
from .source import Oversized, decode, line_breaks

__all__ = [
    "ALIAS_RATIO", "MAX_ALIAS_EXPANSION", "MAX_DEPTH", "MAX_INPUT_BYTES", "MAX_ITEMS", "MAX_METADATA_NODES",
    "RESOURCE_LIST_KINDS", "InputError", "Oversized", "Parsed", "TooMuch", "decode", "read",
]


def read(text, plain=False):
    """Parse input text; never raises for bad YAML, returns errors instead.

    `plain`: the input is a plain stream of resources, its functionConfig
    given apart (`--config`): a `kind: List` is then a document like any
    other (its items its `children`), not a ResourceList to unwrap."""
    if not text or text.isspace():  # not text.strip(): that would copy the whole input
        empty = InputError("input is empty: expected a ResourceList on stdin", shape=True)
        return Parsed("resourcelist", errors=[empty])
    text, line_break = line_breaks(text)
    parsed = _read(text, plain)
    parsed.line_break = line_break
    return parsed


def _read(text, plain):
    try:
        return read_stream(text, plain=plain)
    except TooMuch as err:
        return _refused(text, err, plain)
    except InputError as err:
        error = err
    except yaml.YAMLError as err:
        error = from_yaml_error(err, text)
    from .salvage import salvage  # only for input that does not parse: most runs never import it

    try:
        return salvage(text, error, plain)
    except TooMuch as err:
        return _refused(text, err, plain)


def _refused(text, err, plain):
    from .salvage import looks_like_a_resource_list

    return Parsed("resourcelist" if looks_like_a_resource_list(text, plain) else "stream", errors=[err])
