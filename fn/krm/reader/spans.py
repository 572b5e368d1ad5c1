"""Where an item's text lies around its nodes: what belongs to it beyond
the end of its last node, and the `- ` it stands after."""

import re


def with_trailing_comments(text, end, col):
    """Where an item's text ends, with what belongs to it after its last
    content: the rest of its last line when that is a comment (or spaces),
    and the comment lines below it indented at least as far as the item.
    (A comment at the column of the `- ` is the next item's head comment.)"""
    size = len(text)
    if end > 0 and text[end - 1] != "\n":
        eol = text.find("\n", end)
        eol = size if eol < 0 else eol
        rest = text[end:eol]
        if rest.strip(" \t") and not (rest[0] in " \t" and rest.lstrip(" \t").startswith("#")):
            return end  # more content on the line: a flow collection goes on
        end = eol
        pos = eol + 1
    else:
        pos = end
    while pos < size:
        eol = text.find("\n", pos)
        eol = size if eol < 0 else eol
        line = text[pos:eol]
        content = line.lstrip(" \t")
        if content.startswith("#") and len(line) - len(content) >= col:
            end = eol
        elif content:
            break
        pos = eol + 1
    return end


def dash_prefix(text, items):
    """The `- ` (with its indentation) the items of a list stand after: the
    first item's, with the spaces after its dash (one space when the item
    starts on a line below its dash)."""
    for it in items:
        line_start = dash_line(text, it.start)
        if line_start is None:
            continue
        dash = text.index("-", line_start)
        if dash < it.start and "\n" not in text[dash:it.start]:
            return text[line_start:it.start]
        return text[line_start:dash + 1] + " " * max(1, it.col - (dash - line_start) - 1)
    return "- "


def dash_line(text, start):
    """Where the line of the `- ` an item stands after begins, or None when
    the item is not a block sequence entry. The dash may be on a line of
    its own above the item, with a comment after it (`- # Source: x`, as
    `kpt fn source` writes a resource's head comment)."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if _DASHES.fullmatch(before):
        return line_start
    if before.strip(" "):
        return None
    while line_start > 0:
        line_start = text.rfind("\n", 0, line_start - 1) + 1
        line = text[line_start:text.find("\n", line_start)].lstrip(" ")
        if line.startswith("-"):
            rest = line[1:]
            return line_start if not rest.strip(" \t") or (rest[0] in " \t" and rest.lstrip(" \t")[0] == "#") else None
        if line and not line.startswith("#"):
            return None
    return None


_DASHES = re.compile(r" *- +")


def head_start(text, line_start):
    """Where the blank and comment lines directly above `line_start` begin."""
    start = line_start
    while start > 0:
        above = text.rfind("\n", 0, start - 1) + 1
        line = text[above:start - 1].strip(" \t")
        if line and not line.startswith("#"):
            break
        start = above
    return start
