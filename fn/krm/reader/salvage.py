"""Salvage: what can be read of an input that does not parse as a whole.

A ResourceList is cut into its items at the top-level `- ` lines under
`items:`; a stream into its documents at `---` lines. Each piece is read
on its own; pieces that fail become errors naming their line (and, read by
eye, the object they seem to be).
"""

import re

import yaml

from .documents import RESOURCE_LIST_KINDS, read_stream
from .errors import InputError, TooMuch, from_yaml_error
from .parsed import Parsed
from .walk import Budget


def looks_like_a_resource_list(text, plain=False):
    kinds = "ResourceList" if plain else "ResourceList|List"
    return bool(re.search(rf"^kind:\s*['\"]?({kinds})['\"]?\s*$", text, re.M)
                and re.search(r"^items:", text, re.M))


def salvage(text, error, plain=False):
    """Parsed for the readable pieces of `text`; `error` is why the whole
    did not read, reported when no piece says more. `plain`: as for
    documents.read_stream."""
    lines = text.split("\n")
    budget = Budget()  # one for all the pieces
    if looks_like_a_resource_list(text, plain):
        return _resource_list(lines, error, budget)
    return _stream(lines, error, budget, plain)


def _resource_list(lines, error, budget):
    errors: list[InputError] = []
    items = []
    function_config = None
    header = ["config.kubernetes.io/v1", "ResourceList"]
    chunk: list[str]  # the lines of the piece being gathered
    section, chunk, chunk_start = None, [], 0
    item_count = [0]
    seen = set()

    def flush(last=False):
        nonlocal function_config
        if section == "item" and chunk:
            before = len(errors)
            items.extend(_read_piece(chunk, chunk_start, errors, budget, last=last))
            for err in errors[before:]:
                err.where = f"items[{item_count[0]}]"
            item_count[0] += 1
        elif section == "functionConfig" and any(_content(line) for line in chunk):
            got = _read_piece(chunk, chunk_start, errors, budget, last=last)
            function_config = got[0] if got else None

    for number, line in enumerate(lines):
        if line.startswith("- ") or line == "-":
            if section in ("items", "item"):
                flush()
                section, chunk, chunk_start = "item", ["  " + line[2:]], number
                continue
        elif line and not line[0].isspace() and not line.startswith("#"):
            # a top-level key (a line indented by a tab belongs to the piece it is in)
            flush()
            chunk = []
            key = line.split(":", 1)[0].strip()
            value = line.split(":", 1)[1].strip() if ":" in line else ""
            if key in ("apiVersion", "kind") and value and key not in seen:
                # the ResourceList's own: the first of each, and a kind that is a list's
                # (an item's line pushed to column 0 must not rename the list)
                value = value.split(" #", 1)[0].strip().strip("'\"")
                if key == "apiVersion" or value in RESOURCE_LIST_KINDS:
                    header[0 if key == "apiVersion" else 1] = value
                    seen.add(key)
            section = {"items": "items", "functionConfig": "functionConfig"}.get(key)
            if section == "functionConfig":
                chunk_start = number if value else number + 1
                if value:  # `functionConfig: {...}` on the key's own line
                    chunk = [" " * (len(line) - len(line.split(":", 1)[1].lstrip())) + line.split(":", 1)[1].lstrip()]
            continue
        if section in ("item", "functionConfig"):
            chunk.append(line)
    flush(last=True)
    if not errors:
        errors.append(error)
    return Parsed("resourcelist", tuple(header), items, function_config, errors)


def _content(line):
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _stream(lines, error, budget, plain):
    errors: list[InputError] = []
    items = []
    chunk: list[str]  # the lines of the piece being gathered
    chunk, chunk_start = [], 0
    for number, line in enumerate([*lines, "..."]):
        marker = _MARKER.match(line)
        if marker and (marker.group(1) == "..." or any(_content(part) and not part.startswith("%") for part in chunk)):
            if any(_content(part) for part in chunk):
                items.extend(_read_piece(chunk, chunk_start, errors, budget, number == len(lines), plain))
            chunk, chunk_start = [], number
            if marker.group(1) == "...":
                chunk_start += 1
                continue
        chunk.append(line)
    if not errors:
        errors.append(error)
    return Parsed("stream", items=items, errors=errors)


# A line that starts or ends a document: `---` or `...`, alone or followed by
# a space (`--- # Source: x`, `--- !tag`, `--- |`).
_MARKER = re.compile(r"(---|\.\.\.)(?:[ \t]|$)")


def _read_piece(chunk, first_line, errors, budget, last=False, plain=False):
    # Each line of a piece ended with a line break in the input, except the
    # input's own last one: a kept (|+) block scalar keeps its blank lines.
    piece = "\n".join(chunk) + ("" if last else "\n")
    try:
        parsed = read_stream(piece, budget, plain)
    except TooMuch as err:
        err.line = err.line + first_line if err.line else first_line + 1
        raise
    except InputError as err:
        errors.append(InputError(err.message, err.line + first_line if err.line else first_line + 1,
                                 ref=_guess_ref(chunk)))
        return []
    except yaml.YAMLError as err:
        error = from_yaml_error(err, piece, first_line)
        error.ref = _guess_ref(chunk)
        errors.append(error)
        return []
    if parsed.fmt != "stream" or len(parsed.items) != 1 or not parsed.items[0].is_mapping:
        errors.append(InputError("could not read this part of the input as one resource", first_line + 1))
        return []
    for item in parsed.items:
        item.line += first_line  # lines of the input, not of the piece
    for item_error in parsed.errors:  # about the item itself (its identity): it is still kept
        item_error.line = item_error.line + first_line if item_error.line else first_line + 1
        errors.append(item_error)
    return parsed.items


def _guess_ref(chunk):
    """apiVersion, kind and name of a piece that does not parse, read by eye
    (line by line), so the error can say which object it is."""
    ref = {}
    indent = None
    in_metadata = False
    seen = set()
    for line in chunk:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        level = len(line) - len(line.lstrip(" "))
        indent = level if indent is None else indent
        key, _, value = stripped.partition(":")
        value = value.split(" #", 1)[0].strip().strip("'\"")
        if level == indent:
            if key in seen:
                break  # a second resource run into the first: name the first
            seen.add(key)
            in_metadata = key == "metadata"
            if key in ("apiVersion", "kind") and value:
                ref[key] = value
        elif in_metadata and key in ("name", "namespace") and value and key not in ref:
            ref[key] = value
    return ref if "kind" in ref or "name" in ref else None
