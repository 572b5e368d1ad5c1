"""Writes function output in the shape the input came in.

A ResourceList is written back as a ResourceList (its apiVersion and kind
echoed, `functionConfig` echoed, `results` added); a plain stream as a
stream of documents. Items are written from their text: untouched items
byte for byte, changed ones as edited, generated ones as rendered.
"""

import re

from . import yamlio

_COMMENT_GAP = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.|%)[^\n]*\n", re.M)


def write(parsed, items, results):
    """The output text for `items` (input items first, generated ones after)."""
    return "".join(chunks(parsed, items, results))


def chunks(parsed, items, results):
    """The output text in pieces, in order: a caller that writes each piece
    as it comes never holds the whole output (nor its encoded copy) in memory."""
    if parsed.fmt == "stream":
        return _stream_chunks(items)
    return _resource_list_chunks(parsed, items, results)


def _resource_list_chunks(parsed, items, results):
    api_version, kind = parsed.header
    yield yamlio.dump({"apiVersion": api_version, "kind": kind})
    prefix = parsed.dash_prefix
    if items:
        yield "items:\n"
        previous = None
        for item in items:
            dash = _own_prefix(item, prefix)
            body = _body_at(item, len(dash))
            yield _lead(previous, item, stream=False) + dash + body + ("" if body.endswith("\n") else "\n")
            previous = item
    else:
        yield "items: []\n"
    fc = parsed.function_config
    if fc is not None:
        if fc.flow or fc.new_body is not None and "\n" not in fc.body():
            yield "functionConfig: " + fc.body().strip() + "\n"
        else:
            yield "functionConfig:\n  " + _body_at(fc, 2) + "\n"
    if results:
        yield yamlio.dump({"results": [r.to_dict() for r in results]})


def _stream_chunks(items):
    previous = None
    for item in items:
        col = 0 if item.generated else item.col
        doc = _lead(previous, item, stream=True) + " " * col + _body_at(item, col)
        yield ("---\n" if previous is not None else "") + doc + ("" if doc.endswith("\n") else "\n")
        previous = item


def _own_prefix(item, prefix):
    """The `-   ` an input item stood after, when it has the list's dash column:
    its lines then stay as they were. `prefix` for the others."""
    if item.generated or item.source is None:
        return prefix
    line_start = item.source.rfind("\n", 0, item.start) + 1
    own = item.source[line_start:item.start]
    if own != prefix and _DASH.fullmatch(own) and own.index("-") == prefix.index("-"):
        return own
    return prefix


_DASH = re.compile(r" *- +")


def _lead(previous, item, stream):
    """Comment lines that stood just before an item in the input (head comments)."""
    if item.generated:
        return ""
    source = item.source
    line_start = source.rfind("\n", 0, item.start) + 1
    if previous is None or previous.generated or previous.source is not source:
        # The first item: its head comments are the comment lines right above it.
        gap_start = 0 if stream else _comment_block_start(source, line_start)
    else:
        gap_start = source.find("\n", previous.end) + 1
        if gap_start == 0:
            return ""
    gap = source[gap_start:line_start] if gap_start <= line_start else ""
    if stream:
        markers = list(_DOCUMENT_MARKER.finditer(gap))
        if markers:
            gap = gap[markers[-1].end():]
    if "#" not in gap or _COMMENT_GAP.fullmatch(gap) is None:
        return ""
    return "".join(line.strip() + "\n" for line in gap.split("\n") if line.strip())


def _comment_block_start(source, line_start):
    start = line_start
    while start > 0:
        previous = source.rfind("\n", 0, start - 1) + 1
        if not source[previous:start].lstrip().startswith("#"):
            break
        start = previous
    return start


def _body_at(item, col):
    """The item's text with its continuation lines moved to column `col`."""
    body = item.body()
    if item.generated:
        shift = col
    else:
        shift = col - item.col
    if shift == 0 or "\n" not in body:
        return body
    first, rest = body.split("\n", 1)
    lines = rest.split("\n")
    if shift > 0:
        pad = " " * shift
        lines = [pad + line if line else line for line in lines]
    else:
        cut = -shift
        lines = [line[cut:] if line[:cut].strip() == "" else line.lstrip(" ") for line in lines]
    return first + "\n" + "\n".join(lines)
