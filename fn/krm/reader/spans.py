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
    """The `- ` (with its indentation) that starts each item line, if uniform."""
    for it in items:
        line_start = text.rfind("\n", 0, it.start) + 1
        prefix = text[line_start:it.start]
        if re.fullmatch(r" *- +", prefix):
            return prefix
    return "- "
