"""Block-style YAML text for plain data, written directly: the same bytes as
PyYAML's representer and libyaml's emitter give for `yamlio.dump`, at a
fraction of their cost per object.

Generated objects and text edits are small documents of the same few
shapes; going through PyYAML costs about 0.3 ms each (a representer node per
value, two resolver calls per scalar, a new emitter per document), which
over thousands of agents is most of the run. Here the structure is written
as libyaml writes block style (two-space indentation, a sequence in a
mapping not indented, `{}` and `[]` for empty collections) and each scalar
as libyaml would choose to write it, for the scalars whose style is plain
to decide (printable ASCII); any other scalar is written once by the real
emitter and remembered, and any other shape (a key that is not a short
string, a type that is not plain data) goes to the real emitter whole
(`Unusual`). tests/unit/test_emitter.py holds the two to the same output.
"""


class Unusual(Exception):  # not an error: the caller writes the object the other way
    """Data this writer leaves to the real emitter."""


class BlockWriter:
    """`write(data)`: the text of a dict or a list, as `exact(data)` (the real
    emitter) would write it. `typed(text)`: whether a plain scalar of this
    text would be read back as something other than a string (then it is
    quoted)."""

    def __init__(self, exact, typed):
        self.exact = exact
        self.typed = typed
        self.scalars = {}  # (type, value) -> as the real emitter writes it: (first line, the lines after)
        self.keys = {}     # key -> its text
        self.strings = {}  # a string value -> its text on one line, with the line break

    def write(self, data):
        out: list = []
        try:
            if isinstance(data, dict) and data:
                self._mapping(data, 0, out, False)
            elif isinstance(data, list) and data:
                self._sequence(data, 0, out, False)
            else:
                raise Unusual("not a non-empty collection")
        except RecursionError:
            raise Unusual("nested too deep for this writer") from None
        return "".join(out)

    # -- structure: libyaml's block style -------------------------------------

    def _mapping(self, data, indent, out, inline):
        """The entries of a mapping at column `indent`; `inline`: the first
        one goes on the current line (after a sequence's `- `)."""
        pad = " " * indent
        keys, strings = self.keys, self.strings
        for key, value in data.items():
            text = keys.get(key) if key.__class__ is str else None
            if text is None:
                text = self._key(key)
            if inline:
                inline = False
            else:
                text = pad + text
            cls = value.__class__
            if cls is str:
                known = strings.get(value)
                out.append(text + ": " + (known if known is not None else self._string(value, indent)))
            elif cls is dict:
                if value:
                    out.append(text + ":\n")
                    self._mapping(value, indent + 2, out, False)
                else:
                    out.append(text + ": {}\n")
            elif cls is list:
                if value:
                    out.append(text + ":\n")
                    self._sequence(value, indent, out, False)  # a sequence in a mapping is not indented
                else:
                    out.append(text + ": []\n")
            else:
                out.append(text + ": " + self._scalar(value, indent))

    def _sequence(self, data, indent, out, inline):
        dash = " " * indent + "- "
        strings = self.strings
        for value in data:
            if inline:
                inline = False
                text = "- "
            else:
                text = dash
            cls = value.__class__
            if cls is str:
                known = strings.get(value)
                out.append(text + (known if known is not None else self._string(value, indent)))
            elif cls is dict:
                out.append(text)
                if value:
                    self._mapping(value, indent + 2, out, True)
                else:
                    out.append("{}\n")
            elif cls is list:
                out.append(text)
                if value:
                    self._sequence(value, indent + 2, out, True)
                else:
                    out.append("[]\n")
            else:
                out.append(text + self._scalar(value, indent))

    # -- scalars: libyaml's choice of style -------------------------------------

    def _key(self, key):
        """A mapping key, as a simple key (remembered: keys repeat)."""
        text = self._new_key(key)
        if key.__class__ is str:
            self.keys[key] = text
        return text

    def _new_key(self, key):
        if key.__class__ is str and len(key) <= _SIMPLE_KEY and _one_line(key) and _plain(key):
            return _quoted(key) if self.typed(key) else key
        if not isinstance(key, str) or not _OTHER_BREAKS.isdisjoint(key):
            raise Unusual(f"a key this writer leaves to the real emitter: {key!r}")
        text = self.exact({key: None})
        if text.startswith("? ") or not text.endswith(": null\n") or "\n" in text[:-1]:
            raise Unusual("a key that is not a simple key")
        return text[:-len(": null\n")]

    def _string(self, value, indent):
        """A string value, and the line break that ends it (remembered when
        on one line: values repeat from object to object)."""
        if _one_line(value):
            text = (value if _plain(value) and not self.typed(value) else _quoted(value)) + "\n"
        elif _literal_block(value):
            return _literal(value, indent)  # its lines depend on the column
        else:
            text = self._exactly(value, indent)
            if text.count("\n") > 1:
                return text
        self.strings[value] = text
        return text

    def _scalar(self, value, indent):
        """A scalar value that is not a string, and the line break that ends it."""
        cls = value.__class__
        if cls is int:
            return f"{value}\n"
        if cls is bool:
            return "true\n" if value else "false\n"
        if value is None:
            return "null\n"
        if cls is not float:
            raise Unusual(f"not plain data: {cls.__name__}")
        return self._exactly(value, indent)

    def _exactly(self, value, indent):
        """A scalar as the real emitter writes it (as a mapping's value at
        column 0, its continuation lines moved to the collection's column)."""
        memo = (value.__class__, repr(value) if value.__class__ is float else value)  # 0.0 == -0.0
        known = self.scalars.get(memo)
        if known is None:
            if isinstance(value, str) and not _OTHER_BREAKS.isdisjoint(value):
                raise Unusual("a line break other than LF: where it is written depends on the column")
            text = self.exact({"k": value})
            if not text.startswith("k: "):
                raise Unusual("a scalar the real emitter writes otherwise")
            first, *rest = text[3:].split("\n")
            known = self.scalars[memo] = (first, rest)
        first, rest = known
        if not rest[:-1]:
            return first + "\n"
        pad = " " * indent
        return first + "\n" + "\n".join(pad + line if line else line for line in rest)


# libyaml's simple keys are at most 128 characters long.
_SIMPLE_KEY = 128

def _one_line(text):
    """Printable ASCII on one line (spaces allowed): libyaml writes it plain
    or in single quotes, never otherwise."""
    return text.isascii() and text.isprintable()


def _plain(text):
    """Whether libyaml writes this one-line printable ASCII text plain in
    block context: not empty, not `---` or `...` first, no indicator first
    (`?`, `:` and `-` only before another character that is not a space),
    no `: ` or ` #`, no space or `:` at an end. (str methods, not a pattern:
    nothing to compile when the process starts.)"""
    first = text[:1]
    if not first or first in _INDICATORS or text[-1] in " :" or ": " in text or " #" in text:
        return False
    if first in "?:-" and text[1:2] in ("", " "):
        return False
    return not text.startswith(("---", "..."))


# A first character that keeps a text from being plain.
_INDICATORS = frozenset(" #,[]{}&*!|>'\"%@`")


def _literal_block(text):
    """Whether libyaml writes this text as a literal block (`|`): lines of
    printable ASCII, more than one, none ending in a space."""
    if "\n" not in text or not text.isascii():
        return False
    return all(not line or (line.isprintable() and line[-1] != " ") for line in text.split("\n"))


# What libyaml also takes for line breaks, besides LF.
_OTHER_BREAKS = frozenset("\r\x85\u2028\u2029")  # a set, not a regex: that one took 2 ms to compile


def _quoted(text):
    return "'" + text.replace("'", "''") + "'"


def _literal(text, indent):
    """A literal block scalar, its lines two columns in from the collection's."""
    indent_hint = "2" if text[0] in " \n" else ""
    if not text.endswith("\n"):
        chomp = "-"
    elif text == "\n" or text.endswith("\n\n"):
        chomp = "+"
    else:
        chomp = ""
    pad = " " * (indent + 2)
    body = "\n".join(pad + line if line else line for line in text.split("\n"))
    return "|" + indent_hint + chomp + "\n" + body + ("" if text.endswith("\n") else "\n")
