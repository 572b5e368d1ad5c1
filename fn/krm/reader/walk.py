"""The event walk: one pass over libyaml's events of a text.

It knows where each node's text ends, enforces the limits on nesting,
aliases and metadata while it goes, and keeps anchors in scopes: each item
of a ResourceList (and its functionConfig) has its own anchors and its own
alias budget.
"""

from sys import intern
from typing import Any

from yaml import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .. import yamlio
from . import limits
from .errors import InputError, TooMuch
from .source import Pieces

# PyYAML's stubs type an event's marks Optional (an event can be made by
# hand); the parser always sets them: hence `type: ignore[union-attr]` below.


class Budget:
    """Items and metadata nodes kept so far, over a whole input (all the
    pieces of a salvaged one too)."""

    __slots__ = ("items", "metadata")

    def __init__(self):
        self.items = 0
        self.metadata = 0

    def count_item(self, ev):
        self.items += 1
        if self.items > limits.MAX_ITEMS:
            raise TooMuch(f"the input holds more than {limits.MAX_ITEMS} resources: refusing to read it",
                          ev.start_mark.line + 1)

    def count_metadata(self, ev):
        self.metadata += 1
        if self.metadata > limits.MAX_METADATA_NODES:
            raise TooMuch(f"the resources' metadata holds more than {limits.MAX_METADATA_NODES} nodes in all: "
                          "refusing to read it", ev.start_mark.line + 1)


class Walk:
    """The events of one text, and what the limits have counted so far."""

    def __init__(self, text, budget=None):
        self.text = text
        self.budget = budget or Budget()
        self.parser = yamlio.Parser(Pieces(text))
        self.anchors = {}  # anchor -> the size of its node, in nodes
        self.real = 0      # nodes read in the current scope
        self.expanded = 0  # nodes its aliases stand for
        self.outer = []  # the enclosing scopes' (anchors, crossings) (see in_own_scope)
        self.crossings = []  # aliases in the current scope to an anchor outside it
        self.errors = []  # about single items; the rest of the input reads on
        # The item being read uses YAML that the fast reading of its identity
        # does not resolve (aliases, merge keys, tags): see identity.read_item.
        self.special = False

    def next(self):
        return self.parser.get_event()

    def start_document(self):
        self.anchors, self.real, self.expanded = {}, 0, 0
        self.crossings = []

    def in_own_scope(self, read, *args):
        """Read an item (or the functionConfig) with its own anchors and alias
        budget: each is written back, and by kpt into its own file, from its
        own text, where an alias to another item's anchor would dangle; and
        many benign items must not buy one item a bigger alias budget.
        Returns what `read` returns, and the crossings: an InputError for
        each alias in the scope to an anchor outside it."""
        outer = self.anchors, self.real, self.expanded, self.crossings
        self.outer.append((self.anchors, self.crossings))
        self.anchors, self.real, self.expanded, self.crossings = {}, 0, 0, []
        try:
            return read(*args), self.crossings
        finally:
            self.outer.pop()
            # still visible to the rest of the document: a list under `items`
            # of a document that is not a ResourceList may share anchors
            outer[0].update(self.anchors)
            self.anchors, self.real, self.expanded, self.crossings = outer

    def count(self, ev):
        self.real += 1
        if ev.anchor is not None and isinstance(ev, ScalarEvent):
            self.anchors[ev.anchor] = 1

    def key(self, ev, keys, depth):
        """Consume a mapping key; reject duplicates as kyaml does."""
        if isinstance(ev, ScalarEvent):
            self.count(ev)
            key = ev.value
        else:
            key = repr(self.consume(ev, depth, build=True)[0])
        if key in keys:
            hint = " (two resources run together, with no --- between them?)" if key in ("apiVersion", "kind") else ""
            raise InputError(f"duplicate mapping key {key!r}{hint}", ev.start_mark.line + 1)
        keys.add(key)
        return key

    def consume(self, first, depth, build=False):
        """Consume one node's events; return (its data when `build`, else
        None; the index where its content ends). `depth`: the nesting level
        of the node.

        Iterative, so depth is bounded by limits.MAX_DEPTH and not by the C stack.
        Data built here is YAML 1.2 core schema only: anything that needs
        more (an alias, a merge key, an explicit tag) sets `special`.
        """
        if isinstance(first, ScalarEvent):
            self.count(first)
            if build:
                self.budget.count_metadata(first)
                if first.tag is not None:
                    self.special = True
            return (yamlio.event_value(first) if build else None), self.scalar_end(first)
        if isinstance(first, AliasEvent):
            self.alias(first)
            self.special = self.special or build
            return None, first.end_mark.index  # type: ignore[union-attr]
        # frame: [event, data, keys or None, pending key, expecting key, size]
        stack: list[list[Any]] = []
        end = first.end_mark.index
        ev = first
        result = None
        while True:
            if isinstance(ev, (MappingStartEvent, SequenceStartEvent)):
                self.real += 1
                if depth + len(stack) > limits.MAX_DEPTH:
                    line = ev.start_mark.line + 1  # type: ignore[union-attr]
                    raise InputError(f"nesting deeper than {limits.MAX_DEPTH} levels", line)
                is_map = isinstance(ev, MappingStartEvent)
                if build:
                    self.budget.count_metadata(ev)
                    if ev.tag is not None:
                        self.special = True
                data: Any = ({} if is_map else []) if build else None
                stack.append([ev, data, set() if is_map else None, None, is_map, 1])
                end = ev.end_mark.index  # type: ignore[union-attr]
            else:
                if isinstance(ev, (MappingEndEvent, SequenceEndEvent)):
                    frame = stack.pop()
                    if frame[0].flow_style:
                        end = ev.end_mark.index  # type: ignore[union-attr]
                    value, size = frame[1], frame[5]
                    node_start = frame[0].start_mark.index
                    if frame[0].anchor is not None:
                        self.anchors[frame[0].anchor] = size
                elif isinstance(ev, ScalarEvent):
                    self.real += 1
                    end = self.scalar_end(ev)
                    value, size = None, 1
                    if build:
                        self.budget.count_metadata(ev)
                        value = yamlio.event_value(ev)
                        if ev.tag is not None:
                            self.special = True
                    if ev.anchor is not None:
                        self.anchors[ev.anchor] = 1
                elif isinstance(ev, AliasEvent):
                    end = ev.end_mark.index  # type: ignore[union-attr]
                    size = self.alias(ev)
                    value = None
                    node_start = ev.start_mark.index  # type: ignore[union-attr]
                    self.special = self.special or build
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
                        if build and key == "<<":
                            self.special = True
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
        """Count an alias against the alias budget; the size it stands for."""
        size = self.anchors.get(ev.anchor)
        if size is None:
            # An anchor of an enclosing scope: the alias crosses this scope and
            # every one between it and the scope of the anchor.
            crossed = [self.crossings]
            for anchors, crossings in reversed(self.outer):
                if ev.anchor in anchors:
                    size = anchors[ev.anchor]
                    break
                crossed.append(crossings)
            if size is not None:
                crossing = InputError(f"alias *{ev.anchor} refers to an anchor outside its resource "
                                      "(each resource must be readable on its own)", ev.start_mark.line + 1)
                for crossings in crossed:
                    crossings.append(crossing)
        if size is None:
            raise InputError(f"alias *{ev.anchor} refers to no anchor before it in the same resource "
                             "(each resource must be readable on its own)", ev.start_mark.line + 1)
        self.expanded += size
        if self.expanded > limits.MAX_ALIAS_EXPANSION and self.expanded > limits.ALIAS_RATIO * self.real:
            raise InputError(
                f"aliases expand this resource by {self.expanded} nodes, more than {limits.MAX_ALIAS_EXPANSION} "
                f"and more than {limits.ALIAS_RATIO}x its own {self.real}: refusing a possible alias bomb",
                ev.start_mark.line + 1,
            )
        return size
