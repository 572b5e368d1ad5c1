"""Turns a change of plain data into edits of the YAML text it came from.

Given a node tree (with source positions), the data it holds and the data it
should hold, `apply` computes the smallest set of text edits: keys added at
the end of their block mapping, sequence items inserted or deleted as whole
lines, changed values replaced in place. Everything the change does not
touch keeps its bytes: comments, key order, quoting, `on` and `0644`.

Where text edits are not safe (aliases, merge keys, complex keys, named
entries reordered) the item is written from its nodes instead: values and
order still survive, only that item's comments do not, and `apply` says
so. Every result is re-read and compared with the intended data before it
is returned.
"""

import re

import yaml

from . import yamlio


class _Unsafe(Exception):
    """A text edit here would not be exact; write the item from nodes."""


def canon(value):
    """A type-exact, order-insensitive fingerprint of plain data."""
    import json  # here, as difflib below: most runs edit no list without names, and start faster without them

    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def same(a, b):
    """Whether two plain values have one fingerprint (`canon`): equal, and of
    the same types all through (`1`, `1.0`, `True` and `"1"` differ; `0.0` and
    `-0.0` too). Compared in place: it stops at the first difference and
    writes nothing out, where comparing fingerprints wrote both in full."""
    if a is b:
        return True
    kind = a.__class__
    if kind is not b.__class__:
        return False
    if kind is dict:
        if len(a) != len(b):
            return False
        for key, value in a.items():
            other = b.get(key, _ABSENT)
            if other is _ABSENT or not same(value, other):
                return False
        return True
    if kind is list:
        if len(a) != len(b):
            return False
        return all(map(same, a, b))
    if kind is float:
        return repr(a) == repr(b)
    return a == b


_ABSENT = object()


def apply(text, node, old, new, plain=False):
    """(the text holding `new`, exact) from `text` whose node tree is
    `node`: exact when it is `text` edited (its comments kept), not when it
    had to be written from its nodes. `plain`: `old` was read straight from
    the text's events (reader.walk.plain_data), which declines any alias
    and merge key, so the tree is plain (yamlio.is_plain_tree) without
    walking it again."""
    if same(old, new):
        return text, True
    if plain or yamlio.is_plain_tree(node):
        try:
            edits: list[tuple[int, int, str]] = []
            _Differ(text, edits).diff(node, old, new, None)
            edited = _splice(text, edits)
            if _reads_as(edited, new):
                return edited, True
        except _Unsafe:
            pass
    rewritten = _reserialize(node, old, new)
    if not _reads_as(rewritten, new):  # the original nodes did not serve: from the data alone
        col = node.start_mark.column
        rewritten = " " * col + _render_block(new, col)
    return rewritten, False


def _reads_as(text, data):
    from .reader.walk import NOT_PLAIN, plain_data, reads_as  # here: the reader imports this module

    if reads_as(text, data):  # the usual answer, compared as the events come: no data built
        return True
    read = plain_data(text)  # no node tree for plain YAML: the same data, for less
    if read is not NOT_PLAIN:
        return same(read, data)
    try:
        return same(yamlio.to_data(yamlio.compose(text)), data)
    except (yaml.YAMLError, yamlio.Unresolvable):
        return False


def with_final_break(text):
    """`text` (one YAML node, from its first line's indentation) followed by
    a line break, reading as the same data. Only a block scalar that ends
    the text without a line break of its own changes when one is added
    (`echo hi` would become `echo hi\\n`): its chomping becomes strip (`|-`).
    """
    broken = text + "\n"
    try:
        node = yamlio.compose(text)
        if same(yamlio.to_data(yamlio.compose(broken)), yamlio.to_data(node)):
            return broken
        last = _last_scalar(node)
        if last is None or last.style not in ("|", ">"):
            return broken
        header = re.compile(_BLOCK_HEADER).match(text, last.start_mark.index)
        assert header is not None, "a block scalar's node starts at its header"
        indentation = "".join(c for c in header.group(1) if c.isdigit())
        stripped = text[:header.start(1)] + indentation + "-" + text[header.end(1):]
        if same(yamlio.to_data(yamlio.compose(stripped + "\n")), yamlio.to_data(node)):
            return stripped + "\n"
    except (yaml.YAMLError, yamlio.Unresolvable):
        pass
    return broken


# A block scalar's header: `|` or `>`, then an indentation indicator and a
# chomping indicator, in either order.
_BLOCK_HEADER = r"[|>]([1-9+-]{0,2})"  # compiled (and cached by re) when a block scalar is edited


def _last_scalar(node):
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node if isinstance(node, yaml.ScalarNode) else None


def _splice(text, edits):
    """`text` with the edits made, in one pass over it: the pieces between
    the edits and the replacements, joined once (linear in the text and
    the edits; one slice-and-concatenate per edit would copy the text for
    each, quadratic in a workload of many containers). At one offset the
    insertions come first, in the order the diff recorded them (document
    order), then what replaces the text there."""
    ordered = sorted(enumerate(edits), key=lambda e: (e[1][0], e[1][1], e[0]))
    pieces = []
    done = 0
    for _, (start, end, replacement) in ordered:
        if start < done:  # overlapping edits (a key deleted where a pair is added): as they always read
            return _splice_in_turn(text, ordered)
        pieces.append(text[done:start])
        pieces.append(replacement)
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _splice_in_turn(text, ordered):
    # From the end backwards, so earlier offsets stay valid.
    for _, (start, end, replacement) in reversed(ordered):
        text = text[:start] + replacement + text[end:]
    return text


def _reserialize(node, old, new):
    col = node.start_mark.column
    rendered = yamlio.serialize(_build_node(node, old, new)).rstrip("\n")
    return " " * col + _indent_tail(rendered, col)


def _build_node(node, old, new):
    """A node tree for `new` that reuses the original nodes wherever unchanged."""
    if same(old, new):
        return node
    if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
        originals = {yamlio.key_text(k): (k, v) for k, v in node.value}
        pairs = []
        for key, value in new.items():
            if key in originals and key in old:
                knode, vnode = originals[key]
                pairs.append((knode, _build_node(vnode, old[key], value)))
            else:
                pairs.append((yamlio.represent(key), yamlio.represent(value)))
        return yaml.MappingNode(yamlio.MAP, pairs, flow_style=node.flow_style)
    if isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list):
        items = [
            _build_node(node.value[i], old[i], value) if i < len(old) else yamlio.represent(value)
            for i, value in enumerate(new)
        ]
        return yaml.SequenceNode(yamlio.SEQ, items, flow_style=node.flow_style)
    return yamlio.represent(new)


def _indent_tail(text, col):
    """Indent every line but the first by `col` spaces (blank lines stay blank)."""
    if not col:
        return text
    pad = " " * col
    return "\n".join([text.split("\n", 1)[0]] + [pad + line if line else line for line in text.split("\n")[1:]])


def _render_block(value, col):
    return _indent_tail(yamlio.dump(value).rstrip("\n"), col)


def _render_inline(value):
    if isinstance(value, str) and "\n" in value:
        import json

        return json.dumps(value, ensure_ascii=False)
    return yamlio.dump(value, flow=True).rstrip("\n")


def _names(items):
    """The entries' names when every entry is a mapping with a distinct name."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if not names or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    return names


class _Differ:
    def __init__(self, text, edits):
        self.text = text
        self.edits = edits

    # -- positions ----------------------------------------------------------

    def line_start(self, pos):
        return self.text.rfind("\n", 0, pos) + 1

    def line_end(self, pos):
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end

    def content_end(self, node):
        """Where a node's own text ends (trailing comments and blank lines excluded)."""
        if isinstance(node, yaml.ScalarNode):
            return yamlio.scalar_end(self.text, node.start_mark.index, node.end_mark.index, node.style)
        if node.flow_style or not node.value:
            return node.end_mark.index
        last = node.value[-1]
        return self.content_end(last[1] if isinstance(node, yaml.MappingNode) else last)

    def after_line(self, pos):
        """The offset just past the line break ending the line at `pos`."""
        end = self.line_end(pos)
        return min(end + 1, len(self.text))

    # -- the diff -----------------------------------------------------------

    def diff(self, node, old, new, key):
        if same(old, new):
            return
        if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict) \
                and not node.flow_style and new:
            self.diff_mapping(node, old, new)
        elif isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list) \
                and not node.flow_style and new:
            self.diff_sequence(node, old, new)
        else:
            self.replace(node, new, key)

    def diff_mapping(self, node, old, new):
        pairs = node.value
        for knode, _ in pairs:
            if not isinstance(knode, yaml.ScalarNode):
                raise _Unsafe("complex key")
        for index, (knode, vnode) in enumerate(pairs):
            key = knode.value
            if key not in new:
                self.delete_pair(node, index)
            else:
                self.diff(vnode, old.get(key), new[key], knode)
        added = {k: v for k, v in new.items() if k not in old}
        if added:
            self.insert_pairs(node, added)

    def diff_sequence(self, node, old, new):
        if _names(old) is not None and _names(new) is not None:
            self.diff_named_sequence(node, old, new)
            return
        import difflib

        matcher = difflib.SequenceMatcher(a=[canon(x) for x in old], b=[canon(x) for x in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            # Pair changed items up in order; only the surplus is deleted or inserted.
            paired = min(i2 - i1, j2 - j1)
            for offset in range(paired):
                self.diff(node.value[i1 + offset], old[i1 + offset], new[j1 + offset], None)
            for i in range(i1 + paired, i2):
                self.delete_item(node, i)
            if j2 > j1 + paired:
                self.insert_items(node, i1 + paired, new[j1 + paired:j2])

    def diff_named_sequence(self, node, old, new):
        """Lists of named entries (containers, env, volumes) pair up by name,
        as Kubernetes merges them."""
        old_index = {item["name"]: i for i, item in enumerate(old)}
        matched = [old_index[item["name"]] for item in new if item["name"] in old_index]
        if matched != sorted(matched):
            raise _Unsafe("named entries were reordered")
        new_names = {item["name"] for item in new}
        for i, item in enumerate(old):
            if item["name"] not in new_names:
                self.delete_item(node, i)
        at, pending = 0, []
        for item in new:
            index = old_index.get(item["name"])
            if index is None:
                pending.append(item)
                continue
            if pending:
                self.insert_items(node, at, pending)
                pending = []
            self.diff(node.value[index], old[index], item, None)
            at = index + 1
        if pending:
            self.insert_items(node, at if at else len(old), pending)

    # -- edits --------------------------------------------------------------

    def replace(self, node, new, key):
        end = self.content_end(node)
        block = isinstance(new, (dict, list)) and bool(new)
        if key is not None:
            colon = self.text.find(":", key.end_mark.index)
            if colon < 0 or self.text[key.end_mark.index:colon].strip():
                raise _Unsafe("no colon after key")
            if block:
                indent = key.start_mark.column + (2 if isinstance(new, dict) else 0)
                replacement = "\n" + " " * indent + _render_block(new, indent)
            elif isinstance(new, str) and "\n" in new:
                replacement = " " + _render_block(new, key.start_mark.column)  # a literal block
            else:
                replacement = " " + _render_inline(new)
            self.edits.append((colon + 1, end, replacement))
            return
        start = node.start_mark.index
        col = node.start_mark.column
        replacement = _render_block(new, col) if block else _render_inline(new)
        self.edits.append((start, end, replacement))

    def insert_pairs(self, node, pairs):
        col = node.start_mark.column
        pos = self.line_end(self.content_end(node))
        self.edits.append((pos, pos, "\n" + " " * col + _render_block(pairs, col)))

    def delete_pair(self, node, index):
        knode, vnode = node.value[index]
        start = knode.start_mark.index
        line_start = self.line_start(start)
        if self.text[line_start:start].strip() == "":
            self.edits.append((line_start, self.after_line(self.content_end(vnode)), ""))
        elif index + 1 < len(node.value):
            # The key shares its line with a `- `: pull the next key up onto it.
            self.edits.append((start, node.value[index + 1][0].start_mark.index, ""))
        else:
            raise _Unsafe("only key on a sequence-item line")

    def delete_item(self, node, index):
        item = node.value[index]
        dash = self.text.rfind("-", 0, item.start_mark.index + 1)
        line_start = self.line_start(dash)
        if dash < 0 or self.text[line_start:dash].strip() or self.text[dash + 1:item.start_mark.index].strip():
            raise _Unsafe("sequence item not on its own line")
        self.edits.append((line_start, self.after_line(self.content_end(item)), ""))

    def insert_items(self, node, at, items):
        col = node.start_mark.column
        block = " " * col + _render_block(items, col)
        if at > 0:
            pos = self.line_end(self.content_end(node.value[at - 1]))
            self.edits.append((pos, pos, "\n" + block))
        else:
            first = node.value[0]
            pos = self.line_start(self.text.rfind("-", 0, first.start_mark.index + 1))
            self.edits.append((pos, pos, block + "\n"))
