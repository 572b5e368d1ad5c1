"""Identity capture: one item's span, and the little every item needs
(apiVersion, kind, metadata), read on the way through its events."""

from sys import intern

from yaml import MappingEndEvent, MappingStartEvent, ScalarEvent

from ..item import Item


def read_item(walk, first, other_key=None):
    """Read one node as an Item, `first` its first event.

    Of a mapping, apiVersion, kind and metadata are captured; every other
    key's value goes to `other_key(key, value_event, item)`, which consumes
    it and returns where it ends (by default it is only consumed)."""
    start = first.start_mark.index
    item = Item(walk.text, start, first.start_mark.column, first.start_mark.line + 1)
    real, expanded = walk.real, walk.expanded
    if not isinstance(first, MappingStartEvent):
        item.end = walk.consume(first, 1)[1]
        item.is_mapping = False
        return item
    walk.count(first)
    keys = set()
    end = first.end_mark.index
    while True:
        ev = walk.next()
        if isinstance(ev, MappingEndEvent):
            if first.flow_style:
                end = ev.end_mark.index
            break
        key = walk.key(ev, keys, 2)
        value = walk.next()
        if key == "metadata":
            meta, end = walk.consume(value, 2, build=True)
            item.metadata = meta if isinstance(meta, dict) else {}
        elif key in ("apiVersion", "kind") and isinstance(value, ScalarEvent):
            walk.count(value)
            end = walk.scalar_end(value)
            # interned: thousands of items share a few apiVersions and kinds
            setattr(item, "api_version" if key == "apiVersion" else "kind", intern(value.value))
        elif other_key is not None:
            end = other_key(key, value, item)
        else:
            end = walk.consume(value, 2)[1]
    item.end = end
    if first.anchor is not None:
        walk.anchors[first.anchor] = walk.real - real + walk.expanded - expanded
    return item

