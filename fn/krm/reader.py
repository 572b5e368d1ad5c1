"""Reads function input: a ResourceList (or List), or a plain multi-document stream.

One pass over libyaml's events finds where each item's text starts and ends
and reads the little every item needs (apiVersion, kind, metadata). Item
text is kept as it came, so an item the function does not change is written
back byte for byte; only the items the function looks into are composed
into nodes, later, from their own text (`Item.node`).

The same pass enforces the input limits (LIMITS) that keep hostile input
from crashing, hanging or exhausting the process.
"""

import re
from sys import intern

import yaml
from yaml import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from . import yamlio
from .item import Item

# Documented in the README ("Limits"); each is tested at its edge.
MAX_INPUT_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 500
# An alias may expand a document to at most this many nodes beyond its own,
# and to at most ALIAS_RATIO times its own size: generous for real anchors,
# fatal to "billion laughs".
MAX_ALIAS_EXPANSION = 100_000
ALIAS_RATIO = 10
# What the reader keeps of every item costs memory however small the item
# (about 0.5 KB for `- {}`) or its labels: without these, 512 MiB of tiny
# items or labels would take tens of GB. Both are far beyond real packages
# (a 1 KB manifest has ~16 metadata nodes), and keep the worst case below
# what the largest valid input takes anyway (about 6x MAX_INPUT_BYTES).
MAX_ITEMS = 1_000_000
MAX_METADATA_NODES = 10_000_000  # names, namespaces, labels, annotations, all items together

RESOURCE_LIST_KINDS = ("ResourceList", "List")


class InputError(Exception):
    """Input the function cannot read; carries the 1-based line where known."""

    def __init__(self, message, line=None, where=None, ref=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.where = where  # e.g. "items[3]"
        self.ref = ref      # resourceRef, when the broken part says what it is

    def describe(self):
        parts = [p for p in (self.where, f"line {self.line}" if self.line else None) if p]
        return f"{' '.join(parts)}: {self.message}" if parts else self.message


class TooMuch(InputError):
    """A limit that stops the reading altogether: nothing is recovered."""


class _Budget:
    """Items and metadata nodes kept so far, over a whole input."""

    __slots__ = ("items", "metadata")

    def __init__(self):
        self.items = 0
        self.metadata = 0


class Parsed:
    """What the reader found.

    fmt: "resourcelist" or "stream"; header: (apiVersion, kind) of a
    ResourceList; items: [Item]; function_config: Item or None;
    errors: [InputError] for the parts that could not be read (the rest of
    the input is still in `items`).
    """

    def __init__(self, fmt, header=None, items=None, function_config=None, errors=None, dash_prefix="- "):
        self.fmt = fmt
        self.header = header or ("config.kubernetes.io/v1", "ResourceList")
        self.items = items or []
        self.function_config = function_config
        self.errors = errors or []
        self.dash_prefix = dash_prefix


class Oversized:
    """Stands for an input that was not kept because it passed the limit."""

    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size


def decode(data):
    """Text from stdin bytes: UTF-8 (a BOM is dropped), line breaks as LF."""
    if isinstance(data, Oversized) or len(data) > MAX_INPUT_BYTES:
        raise InputError(f"input is {len(data)} bytes, more than the limit of {MAX_INPUT_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"input is not valid UTF-8 (byte {err.start}): {err.reason}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    # libyaml folds CR and CRLF to LF inside values anyway; normalizing here
    # keeps every offset we compute on one kind of line break.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read(text):
    """Parse input text; never raises for bad YAML, returns errors instead."""
    if not text or text.isspace():  # not text.strip(): that would copy the whole input
        return Parsed("resourcelist", errors=[InputError("input is empty: expected a ResourceList on stdin")])
    try:
        return _Walker(text).read_stream()
    except TooMuch as err:
        return Parsed("resourcelist" if _looks_like_a_resource_list(text) else "stream", errors=[err])
    except InputError as err:
        try:
            return _recover(text, err)
        except TooMuch as err:
            return Parsed("resourcelist" if _looks_like_a_resource_list(text) else "stream", errors=[err])
    except yaml.YAMLError as err:
        return _recover(text, _yaml_error(err, text=text))


def _yaml_error(err, line_offset=0, text=None):
    if isinstance(err, yaml.reader.ReaderError):
        # A character YAML does not allow (NUL, other control characters);
        # libyaml gives its byte offset, not a mark.
        char = f" #x{err.character:04x}" if isinstance(err.character, int) else ""
        line = _line_at_byte(text, err.position) if text is not None else None
        return InputError(f"malformed YAML: unacceptable character{char}: {err.reason}",
                          line + line_offset if line else None)
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    message = f"malformed YAML: {problem}" + (f" ({context})" if context else "")
    return InputError(message, mark.line + 1 + line_offset if mark else None)


def _line_at_byte(text, offset):
    """The 1-based line of the character at UTF-8 byte `offset` of `text`."""
    line, done, step = 1, 0, 1 << 16
    for start in range(0, len(text), step):
        chunk = text[start:start + step]
        size = len(chunk.encode("utf-8"))
        if done + size > offset:
            encoded = chunk.encode("utf-8")[:offset - done]
            return line + encoded.count(b"\n")
        line += chunk.count("\n")
        done += size
    return line


class _Walker:
    """One pass over the events of a whole input text."""

    def __init__(self, text, budget=None):
        self.text = text
        self.budget = budget or _Budget()
        # Fed in pieces: given the whole str, the parser would first encode
        # all of it to UTF-8, one more copy of the input in memory.
        self.parser = yamlio._Parser(_Pieces(text))
        self.anchors = {}
        self.real = 0
        self.expanded = 0
        self.shape_errors = []  # a ResourceList's items or functionConfig of the wrong kind
        self.outer_anchors = []  # anchors of the enclosing scopes (see in_own_scope)
        self.crossings = []  # aliases from one item to an anchor outside it

    def next(self):
        return self.parser.get_event()

    def read_stream(self):
        self.next()  # StreamStart
        docs = []
        while True:
            ev = self.next()
            if isinstance(ev, StreamEndEvent):
                break
            if not isinstance(ev, DocumentStartEvent):  # pragma: no cover - libyaml guarantees it
                raise InputError("malformed YAML stream")
            self.anchors, self.real, self.expanded = {}, 0, 0
            self.crossings = []
            first = self.next()
            root = self.read_item(first, top=True)
            if not root.is_null and (root.kind not in RESOURCE_LIST_KINDS or root.rl_items is None):
                self.count_item(first)  # a document of a stream is a resource; a ResourceList is not
            root.end = _with_trailing_comments(self.text, root.end, root.col)
            end = self.next()
            if not isinstance(end, DocumentEndEvent):  # pragma: no cover
                raise InputError("malformed YAML document")
            docs.append(root)
        return self.assemble(docs)

    def assemble(self, docs):
        docs = [d for d in docs if not d.is_null]
        if not docs:  # only comments, `---` or `~`: writing nothing back would empty a kpt package
            return Parsed("resourcelist", errors=[InputError("input holds no YAML document: expected a ResourceList")])
        if len(docs) == 1 and docs[0].kind in RESOURCE_LIST_KINDS and docs[0].rl_items is not None:
            rl = docs[0]
            if self.crossings:  # fine within one document, not between the items of a ResourceList
                raise self.crossings[0]
            errors = [
                InputError(f"items[{i}] is not a mapping: a KRM resource is a mapping with apiVersion, kind and metadata", it.line)
                for i, it in enumerate(rl.rl_items)
                if not it.is_mapping
            ]
            prefix = _dash_prefix(self.text, rl.rl_items)
            errors += self.shape_errors
            return Parsed("resourcelist", (rl.api_version, rl.kind), rl.rl_items, rl.rl_function_config, errors, prefix)
        if len(docs) == 1 and docs[0].kind in RESOURCE_LIST_KINDS:
            rl = docs[0]
            return Parsed("resourcelist", (rl.api_version, rl.kind), [], rl.rl_function_config, self.shape_errors)
        errors = [
            InputError(f"the input holds {len(docs)} documents, one of them a {d.kind}: expected one ResourceList "
                       "(or, with --config, a stream of resources)", d.line)
            for d in docs
            if d.kind in RESOURCE_LIST_KINDS and d.rl_items is not None
        ][:1]
        errors += [
            InputError("document is not a mapping: a KRM resource is a mapping with apiVersion, kind and metadata", d.line)
            for d in docs
            if not d.is_mapping
        ]
        for d in docs:
            d.rl_items = d.rl_function_config = None
        return Parsed("stream", items=docs, errors=errors)

    # -- items -------------------------------------------------------------

    def read_item(self, first, top=False):
        """Read one item's node; capture apiVersion, kind, metadata (and a
        ResourceList's items and functionConfig when `top`)."""
        start = first.start_mark.index
        item = Item(self.text, start, first.start_mark.column, first.start_mark.line + 1)
        real, expanded = self.real, self.expanded
        if not isinstance(first, MappingStartEvent):
            item.end = self.consume(first, 1)[1]
            item.is_mapping = False
            item.is_null = isinstance(first, ScalarEvent) and first.value == "" and first.implicit[0]
            return item
        self.count(first)
        keys = set()
        end = first.end_mark.index
        while True:
            ev = self.next()
            if isinstance(ev, MappingEndEvent):
                if first.flow_style:
                    end = ev.end_mark.index
                break
            key = self.key_of(ev, keys, 2)
            value = self.next()
            if key == "metadata":
                meta, end = self.consume(value, 2, build=True)
                item.metadata = meta if isinstance(meta, dict) else {}
            elif key in ("apiVersion", "kind") and isinstance(value, ScalarEvent):
                self.count(value)
                end = self.scalar_end(value)
                # interned: thousands of items share a few apiVersions and kinds
                setattr(item, "api_version" if key == "apiVersion" else "kind", intern(value.value))
            elif top and key == "items" and isinstance(value, SequenceStartEvent):
                item.rl_items, end = self.read_items(value)
            elif top and key == "items" and not _is_null(value):
                # Reading it as no items would tell kpt the package is now empty.
                self.shape_errors.append(InputError("items is not a list: a ResourceList holds its resources "
                                                    "as a list under items", value.start_mark.line + 1))
                end = self.consume(value, 2)[1]
            elif top and key == "functionConfig" and not _is_null(value) and not isinstance(value, MappingStartEvent):
                # Running with the defaults would ignore what the caller asked for.
                self.shape_errors.append(InputError("functionConfig is not a mapping", value.start_mark.line + 1))
                end = self.consume(value, 2)[1]
            elif top and key == "functionConfig" and isinstance(value, MappingStartEvent):
                fc = Item(self.text, value.start_mark.index, value.start_mark.column, value.start_mark.line + 1)
                fc.flow = bool(value.flow_style)
                end = self.in_own_scope(self.consume, value, 2)[1]
                fc.end = _with_trailing_comments(self.text, end, fc.col)
                item.rl_function_config = fc
            else:
                end = self.consume(value, 2)[1]
        item.end = end
        if first.anchor is not None:
            self.anchors[first.anchor] = self.real - real + self.expanded - expanded
        return item

    def read_items(self, first):
        self.count(first)
        items = []
        end = first.end_mark.index
        while True:
            ev = self.next()
            if isinstance(ev, SequenceEndEvent):
                return items, ev.end_mark.index if first.flow_style else end
            self.count_item(ev)
            item = self.in_own_scope(self.read_item, ev)
            item.end = _with_trailing_comments(self.text, item.end, item.col)
            items.append(item)
            end = item.end

    def count_item(self, ev):
        self.budget.items += 1
        if self.budget.items > MAX_ITEMS:
            raise TooMuch(f"the input holds more than {MAX_ITEMS} resources: refusing to read it", ev.start_mark.line + 1)

    def count_metadata(self, ev):
        self.budget.metadata += 1
        if self.budget.metadata > MAX_METADATA_NODES:
            raise TooMuch(f"the resources' metadata holds more than {MAX_METADATA_NODES} nodes in all: "
                          "refusing to read it", ev.start_mark.line + 1)

    def in_own_scope(self, read, *args):
        """Read an item (or the functionConfig) with its own anchors and alias
        budget: each is written back, and by kpt into its own file, from its
        own text, where an alias to another item's anchor would dangle; and
        many benign items must not buy one item a bigger alias budget."""
        outer = self.anchors, self.real, self.expanded
        self.outer_anchors.append(self.anchors)
        self.anchors, self.real, self.expanded = {}, 0, 0
        try:
            return read(*args)
        finally:
            self.outer_anchors.pop()
            # still visible to the rest of the document: a list under `items`
            # of a document that is not a ResourceList may share anchors
            outer[0].update(self.anchors)
            self.anchors, self.real, self.expanded = outer

    def key_of(self, ev, keys, depth):
        """Consume a mapping key; reject duplicates as kyaml does."""
        if isinstance(ev, ScalarEvent):
            self.count(ev)
            key = ev.value
        else:
            key = repr(self.consume(ev, depth, build=True)[0])
        if key in keys:
            raise InputError(f"duplicate mapping key {key!r}", ev.start_mark.line + 1)
        keys.add(key)
        return key

    # -- any node ----------------------------------------------------------

    def count(self, ev):
        self.real += 1
        if ev.anchor is not None and isinstance(ev, ScalarEvent):
            self.anchors[ev.anchor] = 1

    def consume(self, first, depth, build=False):
        """Consume one node's events; return (data or None, content end index).

        Iterative, so depth is bounded by MAX_DEPTH and not by the C stack.
        """
        if isinstance(first, ScalarEvent):
            self.count(first)
            if build:
                self.count_metadata(first)
            return (_scalar(first) if build else None), self.scalar_end(first)
        if isinstance(first, AliasEvent):
            self.alias(first)
            return None, first.end_mark.index
        # frame: [event, data, keys or None, pending key, expecting key, size]
        stack = []
        end = first.end_mark.index
        ev = first
        result = None
        while True:
            if isinstance(ev, (MappingStartEvent, SequenceStartEvent)):
                self.real += 1
                if depth + len(stack) > MAX_DEPTH:
                    raise InputError(f"nesting deeper than {MAX_DEPTH} levels", ev.start_mark.line + 1)
                is_map = isinstance(ev, MappingStartEvent)
                if build:
                    self.count_metadata(ev)
                data = ({} if is_map else []) if build else None
                stack.append([ev, data, set() if is_map else None, None, is_map, 1])
                end = ev.end_mark.index
            else:
                if isinstance(ev, (MappingEndEvent, SequenceEndEvent)):
                    frame = stack.pop()
                    if frame[0].flow_style:
                        end = ev.end_mark.index
                    value, size = frame[1], frame[5]
                    node_start = frame[0].start_mark.index
                    if frame[0].anchor is not None:
                        self.anchors[frame[0].anchor] = size
                elif isinstance(ev, ScalarEvent):
                    self.real += 1
                    end = self.scalar_end(ev)
                    value, size = None, 1
                    if build:
                        self.count_metadata(ev)
                        value = _scalar(ev)
                    if ev.anchor is not None:
                        self.anchors[ev.anchor] = 1
                elif isinstance(ev, AliasEvent):
                    end = ev.end_mark.index
                    size = self.alias(ev)
                    value = None
                    node_start = ev.start_mark.index
                else:  # pragma: no cover - libyaml guarantees the event grammar
                    raise InputError("malformed YAML node")
                if not stack:
                    result = value
                    break
                parent = stack[-1]
                parent[5] += size
                if parent[2] is not None:  # mapping
                    if parent[4]:
                        # interned: every item's metadata repeats the same keys
                        if isinstance(ev, ScalarEvent):
                            key = intern(ev.value)
                        elif build:
                            key = repr(value)
                        else:  # a collection or an alias as key, not built: known by its text
                            key = "? " + self.text[node_start:end]
                        if key in parent[2]:
                            raise InputError(f"duplicate mapping key {key!r}", ev.start_mark.line + 1)
                        parent[2].add(key)
                        parent[3] = key
                        parent[4] = False
                    else:
                        if build:
                            parent[1][parent[3]] = value
                        parent[4] = True
                elif build:
                    parent[1].append(value)
            ev = self.next()
        return result, end

    def scalar_end(self, ev):
        if ev.style in ("|", ">"):
            return yamlio.scalar_end(self.text, ev.start_mark.index, ev.end_mark.index, ev.style)
        return ev.end_mark.index

    def alias(self, ev):
        size = self.anchors.get(ev.anchor)
        if size is None:
            size = next((a[ev.anchor] for a in reversed(self.outer_anchors) if ev.anchor in a), None)
            if size is not None:
                self.crossings.append(InputError(
                    f"alias *{ev.anchor} refers to an anchor outside its resource "
                    "(each resource must be readable on its own)", ev.start_mark.line + 1))
        if size is None:
            raise InputError(f"alias *{ev.anchor} refers to no anchor before it in the same resource "
                             "(each resource must be readable on its own)", ev.start_mark.line + 1)
        self.expanded += size
        if self.expanded > MAX_ALIAS_EXPANSION and self.expanded > ALIAS_RATIO * self.real:
            raise InputError(
                f"aliases expand this resource by {self.expanded} nodes, more than {MAX_ALIAS_EXPANSION} "
                f"and more than {ALIAS_RATIO}x its own {self.real}: refusing a possible alias bomb",
                ev.start_mark.line + 1,
            )
        return size


def _with_trailing_comments(text, end, col):
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


def _is_null(ev):
    return isinstance(ev, ScalarEvent) and ev.implicit[0] and ev.value in ("", "~", "null", "Null", "NULL")


def _scalar(ev):
    if ev.implicit[0] and not ev.tag:
        tag = Resolver.resolve(yaml.ScalarNode, ev.value, (True, False))
    elif ev.tag and ev.tag != "!":
        tag = ev.tag
    else:
        tag = yamlio.STR
    return yamlio.scalar_value(yaml.ScalarNode(tag, ev.value))


Resolver = yamlio.Resolver12()


class _Pieces:
    """A text as a file-like object the parser reads a piece at a time."""

    __slots__ = ("text", "pos")

    def __init__(self, text):
        self.text = text
        self.pos = 0

    def read(self, size=-1):
        start = self.pos
        self.pos = len(self.text) if size is None or size < 0 else min(len(self.text), start + size)
        return self.text[start:self.pos]


def _dash_prefix(text, items):
    """The `- ` (with its indentation) that starts each item line, if uniform."""
    for it in items:
        line_start = text.rfind("\n", 0, it.start) + 1
        prefix = text[line_start:it.start]
        if re.fullmatch(r" *- +", prefix):
            return prefix
    return "- "


# --- recovery ----------------------------------------------------------------

def _guess_ref(chunk):
    """apiVersion, kind and name of a piece that does not parse, read by eye
    (line by line), so the error can say which object it is."""
    ref = {}
    indent = None
    in_metadata = False
    for line in chunk:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        level = len(line) - len(line.lstrip(" "))
        indent = level if indent is None else indent
        key, _, value = stripped.partition(":")
        value = value.split(" #", 1)[0].strip().strip("'\"")
        if level == indent:
            in_metadata = key == "metadata"
            if key in ("apiVersion", "kind") and value:
                ref[key] = value
        elif in_metadata and key in ("name", "namespace") and value and key not in ref:
            ref[key] = value
    return ref if "kind" in ref or "name" in ref else None


_TOP_KEY = re.compile(r"^[A-Za-z_][^:\n]*:", re.M)


def _looks_like_a_resource_list(text):
    return bool(re.search(r"^kind:\s*['\"]?(ResourceList|List)['\"]?\s*$", text, re.M) and re.search(r"^items:", text, re.M))


def _recover(text, error):
    """Read what can be read when the whole input does not parse.

    A ResourceList is cut into its items at the top-level `- ` lines under
    `items:`; a stream into its documents at `---` lines. Each piece is read
    on its own; pieces that fail become errors naming their line.
    """
    lines = text.split("\n")
    budget = _Budget()  # one for all the pieces
    if _looks_like_a_resource_list(text):
        return _recover_resource_list(lines, error, budget)
    return _recover_stream(lines, error, budget)


def _recover_resource_list(lines, error, budget):
    errors = []
    items = []
    function_config = None
    header = ["config.kubernetes.io/v1", "ResourceList"]
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


def _recover_stream(lines, error, budget):
    errors = []
    items = []
    chunk, chunk_start = [], 0
    for number, line in enumerate(lines + ["---"]):
        if line.startswith("---") and line[3:].strip() in ("", "|", ">") or line.startswith("..."):
            if any(part.strip() and not part.lstrip().startswith("#") for part in chunk):
                items.extend(_read_piece(chunk, chunk_start, errors, budget, last=number == len(lines)))
            chunk, chunk_start = [], number + 1
            continue
        chunk.append(line)
    if not errors:
        errors.append(error)
    return Parsed("stream", items=items, errors=errors)


def _read_piece(chunk, first_line, errors, budget, last=False):
    # Each line of a piece ended with a line break in the input, except the
    # input's own last one: a kept (|+) block scalar keeps its blank lines.
    piece = "\n".join(chunk) + ("" if last else "\n")
    try:
        parsed = _Walker(piece, budget).read_stream()
    except TooMuch as err:
        err.line = err.line + first_line if err.line else first_line + 1
        raise
    except InputError as err:
        errors.append(InputError(err.message, err.line + first_line if err.line else first_line + 1,
                                 ref=_guess_ref(chunk)))
        return []
    except yaml.YAMLError as err:
        error = _yaml_error(err, first_line, text=piece)
        error.ref = _guess_ref(chunk)
        errors.append(error)
        return []
    if parsed.fmt != "stream" or len(parsed.items) != 1 or not parsed.items[0].is_mapping:
        errors.append(InputError("could not read this part of the input as one resource", first_line + 1))
        return []
    for item in parsed.items:
        item.line += first_line  # lines of the input, not of the piece
    return parsed.items
