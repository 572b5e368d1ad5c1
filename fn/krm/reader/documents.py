"""The documents of an input, and the shape of a ResourceList.

A stream of documents is a stream of resources, unless it is one document
holding its resources as a list under `items` (a ResourceList, or a List):
then those are the items, each read in its own anchor scope, and its
functionConfig is kept beside them.
"""

from yaml import DocumentEndEvent, DocumentStartEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, \
    SequenceStartEvent, StreamEndEvent

from ..item import Item
from .errors import InputError
from .identity import read_item
from .parsed import Parsed
from .spans import dash_prefix, with_trailing_comments
from .walk import Walk

RESOURCE_LIST_KINDS = ("ResourceList", "List")


class Document:
    """One document of the input: its root node as an Item; when that holds a
    list under `items`, those items, and a `functionConfig` mapping."""

    __slots__ = ("item", "items", "function_config", "is_null", "errors", "crossings")

    def __init__(self):
        self.item = None
        self.items = None
        self.function_config = None
        self.is_null = False
        self.errors = []     # items or functionConfig of the wrong shape
        self.crossings = []  # aliases from one item to an anchor outside it

    @property
    def is_resource_list(self):
        return self.item.kind in RESOURCE_LIST_KINDS and self.items is not None


def read_stream(text, budget=None):
    """Parsed for a whole text (raises InputError or yaml.YAMLError)."""
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
        docs.append(read_document(walk))
        if not isinstance(walk.next(), DocumentEndEvent):  # pragma: no cover
            raise InputError("malformed YAML document")
    return assemble(text, docs)


def read_document(walk):
    doc = Document()
    first = walk.next()
    doc.is_null = isinstance(first, ScalarEvent) and first.value == "" and first.implicit[0]

    def root_key(key, value, item):
        if key == "items" and isinstance(value, SequenceStartEvent):
            doc.items, end = read_items(walk, value)
            return end
        if key == "items" and not _is_null(value):
            # Reading it as no items would tell kpt the package is now empty.
            doc.errors.append(InputError("items is not a list: a ResourceList holds its resources "
                                         "as a list under items", value.start_mark.line + 1))
        elif key == "functionConfig" and isinstance(value, MappingStartEvent):
            doc.function_config, end = read_function_config(walk, value)
            return end
        elif key == "functionConfig" and not _is_null(value):
            # Running with the defaults would ignore what the caller asked for.
            doc.errors.append(InputError("functionConfig is not a mapping", value.start_mark.line + 1))
        return walk.consume(value, 2)[1]

    root = doc.item = read_item(walk, first, root_key)
    if not doc.is_null and not doc.is_resource_list:
        walk.budget.count_item(first)  # a document of a stream is a resource; a ResourceList is not
    root.end = with_trailing_comments(walk.text, root.end, root.col)
    doc.crossings = walk.crossings
    return doc


def read_items(walk, first):
    """The items of a list under `items`, each in its own anchor scope."""
    walk.count(first)
    items = []
    end = first.end_mark.index
    while True:
        ev = walk.next()
        if isinstance(ev, SequenceEndEvent):
            return items, ev.end_mark.index if first.flow_style else end
        walk.budget.count_item(ev)
        item = walk.in_own_scope(read_item, walk, ev)
        item.end = with_trailing_comments(walk.text, item.end, item.col)
        items.append(item)
        end = item.end


def read_function_config(walk, first):
    fc = Item(walk.text, first.start_mark.index, first.start_mark.column, first.start_mark.line + 1)
    fc.flow = bool(first.flow_style)
    end = walk.in_own_scope(walk.consume, first, 2)[1]
    fc.end = with_trailing_comments(walk.text, end, fc.col)
    return fc, end


def assemble(text, docs):
    """Parsed for the documents of a text: a ResourceList, or a stream."""
    docs = [d for d in docs if not d.is_null]
    if not docs:  # only comments, `---` or `~`: writing nothing back would empty a kpt package
        return Parsed("resourcelist", errors=[InputError("input holds no YAML document: expected a ResourceList")])
    if len(docs) == 1 and docs[0].item.kind in RESOURCE_LIST_KINDS:
        return _resource_list(text, docs[0])
    errors = [
        InputError(f"the input holds {len(docs)} documents, one of them a {d.item.kind}: expected one ResourceList "
                   "(or, with --config, a stream of resources)", d.item.line)
        for d in docs
        if d.is_resource_list
    ][:1]
    errors += [
        InputError("document is not a mapping: a KRM resource is a mapping with apiVersion, kind and metadata",
                   d.item.line)
        for d in docs
        if not d.item.is_mapping
    ]
    return Parsed("stream", items=[d.item for d in docs], errors=errors)


def _resource_list(text, rl):
    header = (rl.item.api_version, rl.item.kind)
    if rl.items is None:
        return Parsed("resourcelist", header, [], rl.function_config, rl.errors)
    if rl.crossings:  # fine within one document, not between the items of a ResourceList
        raise rl.crossings[0]
    errors = [
        InputError(f"items[{i}] is not a mapping: a KRM resource is a mapping with apiVersion, kind and metadata",
                   it.line)
        for i, it in enumerate(rl.items)
        if not it.is_mapping
    ]
    return Parsed("resourcelist", header, rl.items, rl.function_config, errors + rl.errors,
                  dash_prefix(text, rl.items))


def _is_null(ev):
    return isinstance(ev, ScalarEvent) and ev.implicit[0] and ev.value in ("", "~", "null", "Null", "NULL")
