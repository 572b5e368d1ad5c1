"""Identity capture: one item's span, and the little every item needs
(apiVersion, kind, metadata), read on the way through its events; and the
items of a list under its `items` key (a List's resources)."""

from sys import intern

import yaml
from yaml import MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent

from .. import yamlio
from ..item import Item
from .errors import InputError
from .spans import with_trailing_comments
from .walk import duplicate_key

# PyYAML's stubs type an event's marks Optional (an event can be made by
# hand); the parser always sets them: hence `type: ignore[union-attr]` below.

LIST_KIND = "List"


def read_item(walk, first, other_key=None):
    """Read one node as an Item, `first` its first event.

    Of a mapping, apiVersion, kind and metadata are captured; when it is a
    List, the items of its `items` list are its `children`. Every other
    key's value goes first to `other_key(key, value_event)`, which consumes
    it and returns where it ends, or returns None for a key it leaves to
    the default (which only consumes it)."""
    start = first.start_mark.index
    item = Item(walk.text, start, first.start_mark.column, first.start_mark.line + 1)
    real, expanded = walk.real, walk.expanded
    if not isinstance(first, MappingStartEvent):
        item.end = walk.consume(first, 1)[1]
        item.is_mapping = False
        return item
    walk.count(first)
    keys: set[str] = set()
    end = first.end_mark.index  # type: ignore[union-attr]
    items = None
    outer_special, walk.special = walk.special, False
    get_event = walk.parser.get_event
    while True:
        ev = get_event()
        cls = ev.__class__
        if cls is MappingEndEvent:
            if first.flow_style:
                end = ev.end_mark.index
            break
        if cls is ScalarEvent and ev.anchor is None:  # the usual key, checked here as walk.key checks it
            walk.real += 1
            key = ev.value
            if key in keys:
                raise duplicate_key(key, ev)
            keys.add(key)
            if key == "<<" or ev.tag is not None:
                walk.special = True  # a merge key may bring kind or metadata; a tag may be either
        else:
            key = walk.key(ev, keys, 2)
            if key == "<<" or cls is not ScalarEvent or ev.tag is not None:
                walk.special = True  # an alias (or a collection) may be anything
        value = get_event()
        if key == "metadata":
            meta, end = walk.consume(value, 2, build=True)
            item.metadata = meta if isinstance(meta, dict) else {}
        elif key in ("apiVersion", "kind") and isinstance(value, ScalarEvent):
            if value.tag is not None:
                walk.special = True
            walk.count(value)
            end = walk.scalar_end(value)
            # interned: thousands of items share a few apiVersions and kinds
            setattr(item, "api_version" if key == "apiVersion" else "kind", intern(value.value))
        elif other_key is not None and (mine := other_key(key, value)) is not None:
            end = mine
        elif key == "items" and isinstance(value, SequenceStartEvent):
            children, end, crossings = read_items(walk, value)
            items = children, crossings
        else:
            if key in ("apiVersion", "kind"):
                walk.special = True  # an alias (or a collection, which resolves to nothing)
            end = walk.skip(value, 2)
    item.end = end
    special, walk.special = walk.special, outer_special
    if special:
        _resolve_identity(walk, item)
    if items is not None and item.kind == LIST_KIND:
        adopt(walk, item, *items)
    if first.anchor is not None:
        walk.anchors[first.anchor] = walk.real - real + walk.expanded - expanded
    return item


def _resolve_identity(walk, item):
    """apiVersion, kind and metadata read in full, as kustomize reads them, for
    an item whose identity uses aliases, merge keys or tags; an error about
    the item when one of them cannot be read so."""
    try:
        data = yamlio.to_data(item.node, keys=IDENTITY_KEYS, binary_kept=("metadata.annotations",))
    except yaml.YAMLError:
        return  # not readable on its own: the alias that reaches out is the error
    except yamlio.Unresolvable as err:
        walk.errors.append(InputError(f"{err.path or 'the resource'}: {err.why}; kustomize and kubectl do not read "
                                      "it alike, if at all: refusing to guess this resource's identity",
                                      item.line, ref=item.ref()))
        return
    finally:
        item.forget()
    api_version, kind, metadata = (data.get(key) for key in IDENTITY_KEYS)
    item.api_version = api_version if isinstance(api_version, str) else None
    item.kind = kind if isinstance(kind, str) else None
    item.metadata = metadata if isinstance(metadata, dict) else {}


IDENTITY_KEYS = ("apiVersion", "kind", "metadata")


def read_items(walk, first):
    """The items of a list under `items`, each in its own anchor scope:
    ([Item], where the list ends, [(index, InputError)] for each alias from
    an item to an anchor outside it)."""
    walk.count(first)
    items: list[Item] = []
    crossed: list[tuple[int, InputError]] = []
    end = first.end_mark.index
    while True:
        ev = walk.next()
        if isinstance(ev, SequenceEndEvent):
            return items, ev.end_mark.index if first.flow_style else end, crossed  # type: ignore[union-attr]
        walk.budget.count_item(ev)
        item, crossings = walk.in_own_scope(read_item, walk, ev)
        item.end = with_trailing_comments(walk.text, item.end, item.col)
        crossed += [(len(items), crossing) for crossing in crossings]
        items.append(item)
        end = item.end


def adopt(walk, parent, children, crossings):
    """Make `children` the items of the List `parent`. Each is patched in
    the List's text from its own text, so an alias to another item's anchor
    is an error about the List."""
    parent.children = children
    for child in children:
        child.parent = parent
    for index, crossing in crossings[:1]:
        walk.errors.append(InputError(f"items[{index}]: {crossing.message}; kubectl reads such a List, but the "
                                      "function patches each item on its own", crossing.line, ref=parent.ref()))
