"""The event walk: one pass over libyaml's events of a text.

It knows where each node's text ends, enforces the limits on nesting,
aliases and metadata while it goes, and keeps anchors in scopes: each item
of a ResourceList (and its functionConfig) has its own anchors and its own
alias budget.
"""

from sys import intern

from yaml import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    YAMLError,
)

from .. import yamlio
from . import limits
from .errors import InputError, TooMuch
from .source import Pieces

TYPE_CHECKING = False  # `typing` for the type checker only: it costs every run's start
if TYPE_CHECKING:
    from typing import Any

# PyYAML's stubs type an event's marks Optional (an event can be made by
# hand); the parser always sets them: hence `type: ignore[union-attr]` below.


_EXPECTING = object()  # a mapping's next event is a key


def duplicate_key(key, ev):
    """The error for a key its mapping already has (kyaml refuses it too);
    a resource's own apiVersion or kind twice is most likely two resources
    run together."""
    hint = " (two resources run together, with no --- between them?)" if key in ("apiVersion", "kind") else ""
    return InputError(f"duplicate mapping key {key!r}{hint}", ev.start_mark.line + 1)


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

    def count_metadata(self, ev, nodes=1):
        self.metadata += nodes
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
            raise duplicate_key(key, ev)
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
        if build:
            return self._build(first, depth)
        return None, self.skip(first, depth)

    def skip(self, first, depth):
        """Where one node's content ends, its events consumed with the least
        work each: most of an input is nodes nobody reads, and the event scan
        is what reading costs. Still counted and checked: nodes, anchors and
        aliases, nesting, duplicate keys."""
        get_event = self.parser.get_event
        anchors = self.anchors
        max_depth = limits.MAX_DEPTH - depth
        real = self.real
        stack: list = []    # the enclosing collections' (start event, keys, expecting a key, real, expanded)
        node: Any = None    # the start event of the collection being read
        keys: Any = None    # its keys so far, when it is a mapping
        want_key = False
        last: Any = None    # the last event with content: the node's text ends where it does
        done: Any = None
        ev = first
        while True:
            cls = ev.__class__
            if cls is ScalarEvent:  # most events: taken care of here and now
                real += 1
                if ev.anchor is not None:
                    anchors[ev.anchor] = 1
                last = ev
                if want_key:
                    key = ev.value
                    if key in keys:
                        raise InputError(f"duplicate mapping key {key!r}", ev.start_mark.line + 1)
                    keys.add(key)
                    want_key = False
                elif keys is not None:
                    want_key = True
                elif node is None:  # the node was this scalar
                    break
                ev = get_event()
                continue
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                real += 1
                if len(stack) > max_depth:
                    raise InputError(f"nesting deeper than {limits.MAX_DEPTH} levels", ev.start_mark.line + 1)
                stack.append((node, keys, want_key, real - 1, self.expanded))
                node = ev
                if cls is MappingStartEvent:
                    keys, want_key = set(), True
                else:
                    keys, want_key = None, False
                ev = get_event()
                continue
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                done = node
                if done.flow_style:
                    last = ev
                node, keys, want_key, real_before, expanded_before = stack.pop()
                if done.anchor is not None:
                    anchors[done.anchor] = real - real_before + self.expanded - expanded_before
            elif cls is AliasEvent:
                self.real = real
                self.alias(ev)
                last = done = ev
            else:  # pragma: no cover - libyaml guarantees the event grammar
                raise InputError("malformed YAML node")
            if node is None:
                break
            if want_key:
                # a collection or an alias as key, not built: known by its text
                key = "? " + self.text[done.start_mark.index:self._end(last)]
                if key in keys:
                    raise InputError(f"duplicate mapping key {key!r}", ev.start_mark.line + 1)
                keys.add(key)
                want_key = False
            elif keys is not None:
                want_key = True
            ev = get_event()
        self.real = real
        return self._end(last)

    def _end(self, ev):
        """Where the text of a node ends whose last event with content is `ev`."""
        if ev.__class__ is ScalarEvent:
            return self.scalar_end(ev)
        return ev.end_mark.index

    def _build(self, first, depth):
        """(the node's data, where its content ends), read as `skip` reads
        it, every node counted against the metadata budget."""
        get_event = self.parser.get_event
        anchors = self.anchors
        value_of, typed_first = yamlio.event_value, yamlio.TYPED_FIRST
        max_depth = limits.MAX_DEPTH - depth
        # counted here, and settled with the budget when it runs out or the node ends
        left = limits.MAX_METADATA_NODES - self.budget.metadata
        counted = 0
        real = self.real
        stack: list = []  # the enclosing collections' (start event, data, key, real, expanded)
        node: Any = None  # the start event of the collection being read
        data: Any = None  # its data: a dict, or a list
        key: Any = _EXPECTING
        last: Any = None
        done: Any = None
        value: Any = None
        special = False  # an explicit tag, an alias or a merge key
        ev = first
        while True:
            cls = ev.__class__
            if cls is ScalarEvent:
                real += 1
                counted += 1
                if counted > left:
                    self.budget.count_metadata(ev, counted)
                value = ev.value
                if ev.tag is not None:
                    special = True
                    value = value_of(ev)
                elif ev.implicit[0] and (not value or value[0] in typed_first):  # else a string as it stands
                    value = value_of(ev)
                if ev.anchor is not None:
                    anchors[ev.anchor] = 1
                last = done = ev
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                real += 1
                if len(stack) > max_depth:
                    raise InputError(f"nesting deeper than {limits.MAX_DEPTH} levels", ev.start_mark.line + 1)
                counted += 1
                if counted > left:
                    self.budget.count_metadata(ev, counted)
                if ev.tag is not None:
                    special = True
                stack.append((node, data, key, real - 1, self.expanded))
                node = ev
                if cls is MappingStartEvent:
                    data, key = {}, _EXPECTING
                else:
                    data, key = [], None
                ev = get_event()
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                done, value = node, data
                if done.flow_style:
                    last = ev
                node, data, key, real_before, expanded_before = stack.pop()
                if done.anchor is not None:
                    anchors[done.anchor] = real - real_before + self.expanded - expanded_before
            elif cls is AliasEvent:
                self.real = real
                self.alias(ev)
                special = True
                last = done = ev
                value = None
            else:  # pragma: no cover - libyaml guarantees the event grammar
                raise InputError("malformed YAML node")
            if node is None:
                break
            if key is None:
                data.append(value)
            elif key is _EXPECTING:
                # interned: every item's metadata repeats the same keys
                key = intern(ev.value) if done is ev and cls is ScalarEvent else repr(value)
                if key in data:
                    raise InputError(f"duplicate mapping key {key!r}", ev.start_mark.line + 1)
                if key == "<<":
                    special = True
            else:
                data[key] = value
                key = _EXPECTING
            ev = get_event()
        self.real = real
        self.budget.metadata += counted
        if special:
            self.special = True
        return value, self._end(last)

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


NOT_PLAIN = object()


def plain_data(text):
    """The data of a one-document text, built straight from its events as
    the reader builds metadata, when its YAML is plain (no alias, merge key
    or tag, nothing the reader refuses): what `yamlio.to_data` makes of its
    composed node tree, without composing one. NOT_PLAIN otherwise, for the
    full path to read (and to say what is wrong)."""
    walk = Walk(text)
    try:
        walk.next()  # StreamStart
        walk.next()  # DocumentStart
        data, _ = walk.consume(walk.next(), 1, build=True)
        if walk.special or walk.next().__class__ is not DocumentEndEvent or \
                walk.next().__class__ is not StreamEndEvent:
            return NOT_PLAIN
    except (InputError, YAMLError):
        return NOT_PLAIN
    return data


_TOP = object()  # reads_as: the document itself, around its node


def reads_as(text, expected):
    """Whether `plain_data(text)` would give data `same` as `expected`
    (textedit.same: equal, types too, floats by repr), decided by comparing
    the events with `expected` as they come, without building the data:
    the check of every text edit is this question, and the data it built
    was thrown away. False when not sure: any difference, and all that
    makes plain_data decline (an alias, a merge key, a tag, a duplicate
    key, the nesting and node limits, more than one document), for the
    caller to take the full path. Scalars are read as `_build` reads them."""
    get_event = yamlio.Parser(Pieces(text)).get_event
    value_of, typed_first = yamlio.event_value, yamlio.TYPED_FIRST
    max_depth = limits.MAX_DEPTH - 1  # as plain_data's walk, whose node is at level 1
    left = limits.MAX_METADATA_NODES
    stack: list = []  # the enclosing collections' (data, keys, index, key)
    data: Any = _TOP  # what the collection being read must hold
    keys: Any = None  # when it is a mapping: its keys so far
    index = 0         # when it is a sequence: its next item's index
    key: Any = None   # when it is a mapping: the key whose value comes next (None: a key comes next)
    ev: Any
    try:
        get_event()  # StreamStart
        get_event()  # DocumentStart
        ev = get_event()
        while True:
            cls = ev.__class__
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                if (index if keys is None else len(keys)) != len(data):
                    return False
                data, keys, index, key = stack.pop()
                if data is _TOP:
                    break
                ev = get_event()
                continue
            if cls is not ScalarEvent and cls is not MappingStartEvent and cls is not SequenceStartEvent:
                return False  # an alias, or no node at all (an empty text)
            left -= 1
            if left < 0 or ev.tag is not None:
                return False
            if keys is not None:
                if key is None:  # a key: a plain string, new, and one `expected` has
                    if cls is not ScalarEvent:
                        return False
                    key = ev.value
                    if key == "<<" or key in keys or key not in data:
                        return False
                    keys.add(key)
                    ev = get_event()
                    continue
                want, key = data[key], None
            elif data is _TOP:
                want = expected
            elif index < len(data):
                want = data[index]
                index += 1
            else:
                return False
            if cls is ScalarEvent:
                value = ev.value
                if ev.implicit[0] and (not value or value[0] in typed_first):
                    value = value_of(ev)
                if value.__class__ is not want.__class__ or \
                        (repr(value) != repr(want) if value.__class__ is float else value != want):
                    return False
                if data is _TOP:
                    break
            else:  # a collection starts
                if len(stack) > max_depth or want.__class__ is not (dict if cls is MappingStartEvent else list):
                    return False
                stack.append((data, keys, index, key))
                data, keys, index, key = want, (set() if cls is MappingStartEvent else None), 0, None
            ev = get_event()
        return get_event().__class__ is DocumentEndEvent and get_event().__class__ is StreamEndEvent
    except YAMLError:
        return False
