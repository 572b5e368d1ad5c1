"""Writes function output in the shape the input came in.

A ResourceList is written back as a ResourceList (its apiVersion and kind
echoed, `functionConfig` echoed, `results` added); a plain stream as a
stream of documents. Input items are written from their text, with the
text around them as it was: in a stream, everything between two documents
(`---` and `...` lines, directives, comments, blank lines); in a
ResourceList, an item's `- ` line and the comment and blank lines above
it. So an unchanged item comes out byte for byte, a changed one as edited;
generated items are rendered after them.
"""

import re

from . import yamlio
from .reader.spans import dash_line, head_start

_COMMENT_GAP = r"(?:[ \t]*(?:#[^\n]*)?\n)*"  # compiled (and cached by re) when first needed


def write(parsed, items, results):
    """The output text for `items` (input items first, generated ones after)."""
    return "".join(chunks(parsed, items, results))


def chunks(parsed, items, results):
    """The output text in pieces, in order: a caller that writes each piece
    as it comes never holds the whole output (nor its encoded copy) in memory."""
    if parsed.fmt == "stream":
        # A stream goes to its reader as it came, CRLF line breaks too; a
        # ResourceList's items go to kpt, which writes its files with LF.
        if parsed.line_break != "\n":
            return (chunk.replace("\n", parsed.line_break) for chunk in _stream_chunks(items))
        return _stream_chunks(items)
    return _resource_list_chunks(parsed, items, results)


# --- a ResourceList ------------------------------------------------------------

def _resource_list_chunks(parsed, items, results):
    api_version, kind = parsed.header
    yield yamlio.dump({"apiVersion": api_version, "kind": kind})
    if items:
        yield "items:\n"
        previous = None
        for item in items:
            yield _entry(previous, item, parsed.dash_prefix)
            previous = item
    else:
        yield "items: []\n"
    fc = parsed.function_config
    if fc is not None:
        if fc.flow or (fc.new_body is not None and "\n" not in fc.body()):
            yield "functionConfig: " + fc.body().strip() + "\n"
        else:
            yield "functionConfig:\n  " + _body_at(fc, 2) + "\n"
    if results:
        yield yamlio.dump({"results": [r.to_dict() for r in results]})


def _entry(previous, item, prefix):
    """One item of the list, with its `- ` and the lines above it."""
    dash = None if item.generated else dash_line(item.source, item.start)
    if dash is None:  # generated, in a flow sequence, or salvaged from a broken input
        body = _body_at(item, len(prefix), closed=True)
        return _head_comments(previous, item) + prefix + body
    source = item.source
    if previous is None or previous.generated or previous.source is not source:
        gap = source[head_start(source, dash):dash]
    else:
        gap = source[source.find("\n", previous.end) + 1:dash]
        if re.fullmatch(_COMMENT_GAP, gap) is None:
            gap = ""
    return gap + source[dash:item.start] + item.closed_body()


def _head_comments(previous, item):
    """Comment lines that stood just before an item without a `- ` line."""
    if item.generated:
        return ""
    source = item.source
    line_start = source.rfind("\n", 0, item.start) + 1
    if previous is None or previous.generated or previous.source is not source:
        gap = source[head_start(source, line_start):line_start]
    else:
        gap = source[source.find("\n", previous.end) + 1:line_start]
    if "#" not in gap or re.fullmatch(_COMMENT_GAP, gap) is None:
        return ""
    return "".join(line.strip() + "\n" for line in gap.split("\n") if line.strip())


def _body_at(item, col, closed=False):
    """The item's text with its continuation lines moved to column `col`."""
    body = item.closed_body() if closed else item.body()
    shift = col if item.generated else col - item.col
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


# --- a stream --------------------------------------------------------------------

def _stream_chunks(items):
    """Each input document with the text before it as it was; after the last
    one, the rest of the input; then the generated documents."""
    last = len(items) - 1
    previous = None
    for index, item in enumerate(items):
        if item.generated:
            yield ("---\n" if previous is not None else "") + item.closed_body()
        else:
            source = item.source
            if previous is not None and not previous.generated and previous.source is source:
                lead = source[previous.end:item.start]
            else:  # the first document of its text (a salvaged input is read in pieces)
                lead = ("---\n" if previous is not None else "") + source[:item.start]
            follows = index < last and (items[index + 1].generated or items[index + 1].source is not source)
            if index == last or follows:
                yield lead + _last_of_its_text(item, closed=index < last)
            else:
                yield lead + item.body()
        previous = item


def _last_of_its_text(item, closed):
    """The last document of a text, with the rest of the text after it; when
    more follows, ending in a line break."""
    tail = item.source[item.end:]
    if not closed or tail.endswith("\n"):
        return item.body() + tail
    if "\n" in tail:
        return item.body() + tail + "\n"
    return item.closed_body()[:-1] + tail + "\n"
