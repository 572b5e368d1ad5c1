"""The input text: decoded from stdin's bytes, and fed to the parser."""

from . import limits
from .errors import InputError


class Oversized:
    """Stands for an input that was not kept because it passed the limit."""

    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size


def decode(data):
    """Text from stdin bytes: UTF-8, a BOM dropped. Its line breaks are
    left as they are: the reader reads them as LF (see `line_breaks`)."""
    if isinstance(data, Oversized) or len(data) > limits.MAX_INPUT_BYTES:
        raise InputError(f"input is {len(data)} bytes, more than the limit of {limits.MAX_INPUT_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"input is not valid UTF-8 (byte {err.start}): {err.reason}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def line_breaks(text):
    """(text with LF line breaks, the line break it had): CRLF when every
    line break was one, else LF. libyaml folds CR and CRLF to LF inside
    values anyway; one kind of line break keeps every offset we compute on
    the text simple."""
    if "\r" not in text:
        return text, "\n"
    crlf = text.count("\r\n")
    uniform = crlf == text.count("\r") == text.count("\n")
    return text.replace("\r\n", "\n").replace("\r", "\n"), "\r\n" if uniform else "\n"


class Pieces:
    """A text as a file-like object the parser reads a piece at a time:
    given the whole str, the parser would first encode all of it to UTF-8,
    one more copy of the input in memory."""

    __slots__ = ("text", "pos")

    def __init__(self, text):
        self.text = text
        self.pos = 0

    def read(self, size=-1):
        start = self.pos
        self.pos = len(self.text) if size is None or size < 0 else min(len(self.text), start + size)
        return self.text[start:self.pos]
