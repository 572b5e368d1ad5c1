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
    if parsed.fmt == "stream":
        return _write_stream(items)
    return _write_resource_list(parsed, items, results)


def _write_resource_list(parsed, items, results):
    api_version, kind = parsed.header
    out = [yamlio.dump({"apiVersion": api_version, "kind": kind})]
    prefix = parsed.dash_prefix
    if items:
        out.append("items:\n")
        previous = None
        for item in items:
            out.append(_lead(previous, item, stream=False))
            body = _body_at(item, len(prefix))
            out.append(prefix + body + ("" if body.endswith("\n") else "\n"))
            previous = item
    else:
        out.append("items: []\n")
    fc = parsed.function_config
    if fc is not None:
        if fc.flow or fc.new_body is not None and "\n" not in fc.body():
            out.append("functionConfig: " + fc.body().strip() + "\n")
        else:
            out.append("functionConfig:\n  " + _body_at(fc, 2) + "\n")
    if results:
        out.append(yamlio.dump({"results": [r.to_dict() for r in results]}))
    return "".join(out)


def _write_stream(items):
    docs = []
    previous = None
    for item in items:
        col = 0 if item.generated else item.col
        docs.append(_lead(previous, item, stream=True) + " " * col + _body_at(item, col))
        previous = item
    return "---\n".join(doc if doc.endswith("\n") else doc + "\n" for doc in docs)


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
