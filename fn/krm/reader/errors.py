"""What the reader says about input it cannot read."""

import yaml

from . import limits


class InputError(Exception):
    """Input the function cannot read; carries the 1-based line where known."""

    def __init__(self, message, line=None, where=None, ref=None, shape=False):
        super().__init__(message)
        self.message = message
        self.line = line
        self.where = where  # e.g. "items[3]"
        self.ref = ref      # resourceRef, when the broken part says what it is
        # Valid YAML of the wrong shape for KRM (a document that is not a
        # mapping, items that are not a list, ...), not malformed YAML.
        self.shape = shape

    def describe(self):
        parts = [p for p in (self.where, f"line {self.line}" if self.line else None) if p]
        return f"{' '.join(parts)}: {self.message}" if parts else self.message


class TooMuch(InputError):
    """A limit that stops the reading altogether: nothing is recovered."""


def from_yaml_error(err, text, line_offset=0):
    """The InputError for one of libyaml's errors in `text`."""
    if isinstance(err, yaml.reader.ReaderError):
        # A character YAML does not allow (NUL, other control characters);
        # libyaml gives its byte offset, not a mark.
        char = f" #x{err.character:04x}" if isinstance(err.character, int) else ""
        line = line_at_byte(text, err.position)
        return InputError(f"malformed YAML: unacceptable character{char}: {err.reason}", line + line_offset)
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    if problem.startswith("exceeded maximum nesting depth"):
        # libyaml's own limit (newer versions), met before ours when its
        # scanner runs ahead of the events in a flow collection
        return InputError(f"nesting deeper than {limits.MAX_DEPTH} levels",
                          mark.line + 1 + line_offset if mark else None)
    context = getattr(err, "context", None)
    message = f"malformed YAML: {problem}" + (f" ({context})" if context else "")
    return InputError(message, mark.line + 1 + line_offset if mark else None)


def line_at_byte(text, offset):
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
