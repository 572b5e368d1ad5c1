"""One resource of the ResourceList, kept as the text it came in.

An Item knows where its text lies in the input and the little the reader
captured on the way (apiVersion, kind, metadata). Its node tree and plain
data are built only when asked for. A change is recorded as new data and
turned into text edits of the original (`textedit`), so whatever the change
does not touch, comments and quoting included, stays as it was.
"""


from . import textedit, yamlio

LOCAL_CONFIG = "config.kubernetes.io/local-config"
PATH_ANNOTATION = "internal.config.kubernetes.io/path"
INDEX_ANNOTATION = "internal.config.kubernetes.io/index"
LEGACY_PATH_ANNOTATION = "config.kubernetes.io/path"
LEGACY_INDEX_ANNOTATION = "config.kubernetes.io/index"


class Item:
    __slots__ = (
        "source", "start", "end", "col", "line",
        "api_version", "kind", "metadata", "is_mapping", "flow",
        "_node", "_data", "_plain", "new_body", "generated",
        "children", "parent",
    )

    def __init__(self, source, start, col, line):
        self.source = source
        self.start = start
        self.end = start
        self.col = col
        self.line = line
        self.api_version = None
        self.kind = None
        self.metadata = {}
        self.is_mapping = True
        self.flow = False  # a functionConfig written as a flow mapping
        self._node = None
        self._data = None
        self._plain = False  # _data was read straight from the text's events: see `data`
        self.new_body = None
        self.generated = False
        self.children = None  # of a List: its items, each an Item in the same text
        self.parent = None    # of an item of a List: the List

    @classmethod
    def from_data(cls, data):
        """An item the function generates: its text is rendered from data."""
        item = cls("", 0, 0, 0)
        item.generated = True
        item._set_from_data(data)
        return item

    def _set_from_data(self, data):
        self._data = data
        self._plain = False
        self._node = None
        self.api_version = data.get("apiVersion")
        self.kind = data.get("kind")
        self.metadata = data.get("metadata") or {}
        self.new_body = yamlio.dump(data).rstrip("\n")

    # -- identity ----------------------------------------------------------

    @property
    def name(self):
        name = self.metadata.get("name")
        return name if isinstance(name, str) else None

    @property
    def namespace(self):
        ns = self.metadata.get("namespace")
        return ns if isinstance(ns, str) and ns else None

    @property
    def labels(self):
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def annotations(self):
        annotations = self.metadata.get("annotations")
        return annotations if isinstance(annotations, dict) else {}

    @property
    def group(self):
        api = self.api_version if isinstance(self.api_version, str) else ""
        return api.rsplit("/", 1)[0] if "/" in api else ""

    def is_local_config(self):
        return str(self.annotations.get(LOCAL_CONFIG, "")).lower() == "true"

    def ref(self):
        """The `resourceRef` of a result about this item."""
        ref = {"apiVersion": self.api_version or "", "kind": self.kind or "", "name": self.name or ""}
        if self.namespace:
            ref["namespace"] = self.namespace
        return ref

    def file(self):
        """The `file` of a result: where kpt read this item from, if it says."""
        ann = self.annotations
        path = ann.get(PATH_ANNOTATION, ann.get(LEGACY_PATH_ANNOTATION))
        if not isinstance(path, str):
            return None
        out: dict[str, str | int] = {"path": path}
        index = ann.get(INDEX_ANNOTATION, ann.get(LEGACY_INDEX_ANNOTATION))
        try:  # not contextlib.suppress: importing contextlib costs every run's start
            out["index"] = int(index)
        except (TypeError, ValueError):
            return out  # no index, or not a number: the path alone
        return out

    # -- content -----------------------------------------------------------

    def body(self):
        """The item's text, from its first key to its last content."""
        if self.new_body is not None:
            return self.new_body
        return self.source[self.start:self.end]

    @property
    def node(self):
        """The item's node tree, composed from its own text (positions are
        offsets into `_padded()`)."""
        if self._node is None:
            self._node = yamlio.compose(self._padded())
        return self._node

    @property
    def data(self):
        """Plain data, as kustomize reads it (see yamlio.to_data: aliases,
        merge keys, tags resolved; YAML 1.2 core schema); treat it as
        read-only. Raises yamlio.Unresolvable (its `item` this one) for a
        value that cannot be read as kustomize reads it."""
        if self._data is None:
            if self._node is None:  # nothing composed yet: straight from the events, when the YAML is plain
                from .reader.walk import NOT_PLAIN, plain_data

                data = plain_data(self._padded())
                if data is not NOT_PLAIN:
                    self._data = data
                    self._plain = True  # so the text has no alias and no merge key
                    return data
            try:
                self._data = yamlio.to_data(self.node)
            except yamlio.Unresolvable as err:
                err.item = self
                raise
        return self._data

    def closed_body(self):
        """The item's text ending in a line break, reading as the same data:
        an item that ends the input without one may end in a block scalar
        whose value a line break would change (see textedit.with_final_break)."""
        body = self.body()
        if body.endswith("\n"):
            return body
        if self.new_body is not None or self.source.find("\n", self.end) >= 0:
            return body + "\n"
        return textedit.with_final_break(" " * self.col + body)[self.col:]

    def forget(self):
        """Let go of the node tree and data built from the item's text."""
        self._node = self._data = None
        self._plain = False

    def _padded(self):
        # The first line starts at column `col` in the input; padding it keeps
        # every later line's indentation consistent for the parser.
        return " " * self.col + self.closed_body()

    def update(self, new_data):
        """Record new content for the item, as edits of its original text.

        Returns None, or when the text could not be edited in place (aliases,
        merge keys) and the item was written from its data, a note saying its
        comments were not kept, for the caller to report."""
        if self.generated:
            self._set_from_data(new_data)
            return None
        padded = self._padded()
        node = self.node
        new_text, exact = textedit.apply(padded, node, self.data, new_data, plain=self._plain)
        if new_text == padded:
            return None
        self.new_body = new_text[self.col:]
        self._data = new_data
        self._plain = False
        self._node = None
        self.metadata = new_data.get("metadata") or {}
        if self.parent is not None:
            self.parent._child_changed()
        if exact:
            return None
        return ("written from its data, without its comments: its YAML (aliases, merge keys or a layout that "
                "cannot be edited in place) does not allow an exact edit")

    def _child_changed(self):
        """A List whose items changed: its text with theirs spliced in, the
        rest of it as it was."""
        assert self.children is not None, "only a List's items call it"
        text = self.source[self.start:self.end]
        for child in sorted((c for c in self.children if c.new_body is not None), key=lambda c: -c.start):
            new = child.new_body
            if new.endswith("\n") and not self.source.endswith("\n", child.start, child.end):
                new = new[:-1]
            if "\n" in new and self._in_flow(child):
                # a block mapping cannot stand inside a flow sequence
                new = yamlio.dump(child.data, flow=True).rstrip("\n")
            text = text[:child.start - self.start] + new + text[child.end - self.start:]
        self.new_body = text
        self._node = self._data = None
        self._plain = False
        if self.parent is not None:
            self.parent._child_changed()

    def _in_flow(self, child):
        before = self.source[self.start:child.start].rstrip(" \t\n")
        return before.endswith(("[", ","))
