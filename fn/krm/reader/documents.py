"""The documents of an input, and the shape of a ResourceList.

A stream of documents is a stream of resources, unless it is one document
holding its resources as a list under `items` (a ResourceList, or a List
when the input is not a plain stream): then those are the items, each read
in its own anchor scope, and its functionConfig is kept beside them. In a
plain stream a List is a document, its items its children.
"""

from yaml import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from ..item import Item
from .errors import InputError
from .identity import LIST_KIND, adopt, read_item, read_items
from .parsed import Parsed
from .spans import dash_prefix, with_trailing_comments
from .walk import Walk

RESOURCE_LIST_KINDS = ("ResourceList", LIST_KIND)


class Document:
    """One document of the input: its root node as an Item; when that holds a
    list under `items`, those items (and the aliases that cross between
    them), and a `functionConfig` mapping."""

    __slots__ = ("item", "items", "function_config", "is_null", "errors", "crossings")

    def __init__(self):
        self.item = None
        self.items = None
        self.function_config = None
        self.is_null = False
        self.errors = []     # items or functionConfig of the wrong shape
        self.crossings = []  # (index, InputError): an alias from an item (or functionConfig) to outside it


def read_stream(text, budget=None, plain=False):
    """Parsed for a whole text (raises InputError or yaml.YAMLError).
    `plain`: the input is a plain stream of resources (its functionConfig
    comes from elsewhere), where a List is a document like any other."""
    wrappers = ("ResourceList",) if plain else RESOURCE_LIST_KINDS
    walk = Walk(text, budget)
    walk.next()  # StreamStart
    docs = []
    while True:
        ev = walk.next()
        if isinstance(ev, StreamEndEvent):
            break
        if not isinstance(ev, DocumentStartEvent):  # pragma: no cover - libyaml guarantees it
            raise InputError("malformed YAML stream")
        walk.start_document()
        docs.append(read_document(walk, wrappers))
        if not isinstance(walk.next(), DocumentEndEvent):  # pragma: no cover
            raise InputError("malformed YAML document")
    return assemble(text, docs, wrappers, walk.errors)


def read_document(walk, wrappers):
    doc = Document()
    first = walk.next()
    doc.is_null = isinstance(first, ScalarEvent) and first.value == "" and first.implicit[0]

    def root_key(key, value):
        if key == "items" and isinstance(value, SequenceStartEvent):
            doc.items, end, doc.crossings = read_items(walk, value)
            return end
        if key == "functionConfig" and isinstance(value, MappingStartEvent):
            (doc.function_config, end), crossings = walk.in_own_scope(read_function_config, walk, value)
            doc.crossings += [(None, crossing) for crossing in crossings]
            return end
        if key == "items" and not _is_null(value):
            # Reading it as no items would tell kpt the package is now empty.
            doc.errors.append(InputError("items is not a list: a ResourceList holds its resources "
                                         "as a list under items", value.start_mark.line + 1, shape=True))
        elif key == "functionConfig" and not _is_null(value):
            # Running with the defaults would ignore what the caller asked for.
            doc.errors.append(InputError("functionConfig is not a mapping", value.start_mark.line + 1, shape=True))
        return None

    root = doc.item = read_item(walk, first, root_key)
    wrapper = root.kind in wrappers and doc.items is not None
    if not doc.is_null and not wrapper:
        walk.budget.count_item(first)  # a document of a stream is a resource; a ResourceList is not
    if root.kind == LIST_KIND and doc.items is not None and not wrapper:
        adopt(walk, root, doc.items, doc.crossings)
    root.end = with_trailing_comments(walk.text, root.end, root.col)
    return doc


def read_function_config(walk, first):
    fc = Item(walk.text, first.start_mark.index, first.start_mark.column, first.start_mark.line + 1)
    fc.flow = bool(first.flow_style)
    end = walk.consume(first, 2)[1]
    fc.end = with_trailing_comments(walk.text, end, fc.col)
    return fc, end


def assemble(text, docs, wrappers, errors):
    """Parsed for the documents of a text: a ResourceList, or a stream.
    `errors`: about single items, found on the way."""
    docs = [d for d in docs if not d.is_null]
    if not docs:  # only comments, `---` or `~`: writing nothing back would empty a kpt package
        nothing = InputError("input holds no YAML document: expected a ResourceList", shape=True)
        return Parsed("resourcelist", errors=[nothing])
    if len(docs) == 1 and docs[0].item.kind in wrappers:
        return _resource_list(text, docs[0], errors)
    errors = [
        InputError(f"the input holds {len(docs)} documents, one of them a {d.item.kind}: expected one ResourceList "
                   "(or, with --config, a stream of resources)", d.item.line, shape=True)
        for d in docs
        if d.item.kind in wrappers and d.items is not None
    ][:1] + errors
    errors += [
        InputError("document is not a mapping: a KRM resource is a mapping with apiVersion, kind and metadata",
                   d.item.line, shape=True)
        for d in docs
        if not d.item.is_mapping
    ]
    return Parsed("stream", items=[d.item for d in docs], errors=errors)


def _resource_list(text, rl, errors):
    header = (rl.item.api_version, rl.item.kind)
    if rl.items is None:
        return Parsed("resourcelist", header, [], rl.function_config, rl.errors + errors)
    if rl.crossings:  # fine within one document, not between the items of a ResourceList
        raise rl.crossings[0][1]
    errors = [
        InputError(f"items[{i}] is not a mapping: a KRM resource is a mapping with apiVersion, kind and metadata",
                   it.line, shape=True)
        for i, it in enumerate(rl.items)
        if not it.is_mapping
    ] + errors
    return Parsed("resourcelist", header, rl.items, rl.function_config, errors + rl.errors,
                  dash_prefix(text, rl.items))


def _is_null(ev):
    return isinstance(ev, ScalarEvent) and ev.implicit[0] and ev.value in ("", "~", "null", "Null", "NULL")
