"""Function results, as the KRM Functions Specification defines them.

A function speaks through results, not logs: each carries a severity, a
message that says what is wrong and what to do, and where it can, the object
(`resourceRef`), the field and the file it is about.
"""

ERROR = "error"
WARNING = "warning"
INFO = "info"


class Result:
    __slots__ = ("message", "severity", "resource_ref", "field", "file", "tags")

    def __init__(self, message, severity=ERROR, resource_ref=None, field=None, file=None, tags=None):
        self.message = message
        self.severity = severity
        self.resource_ref = resource_ref
        self.field = field
        self.file = file
        self.tags = tags

    def to_dict(self):
        out = {"message": self.message, "severity": self.severity}
        if self.resource_ref:
            out["resourceRef"] = self.resource_ref
        if self.field:
            out["field"] = self.field
        if self.file:
            out["file"] = self.file
        if self.tags:
            out["tags"] = self.tags
        return out

    def __repr__(self):
        return f"Result({self.severity}: {self.message})"


def field(path, current=None, proposed=None):
    """A `field` entry: the path, and the values where they help the reader."""
    out = {"path": path}
    if current is not None:
        out["currentValue"] = current
    if proposed is not None:
        out["proposedValue"] = proposed
    return out


def has_errors(results):
    return any(r.severity == ERROR for r in results)


def format_line(result):
    """One human-readable line for stderr (plain-stream mode has no results field)."""
    where = ""
    ref = result.resource_ref
    if ref:
        ns = ref.get("namespace")
        where = f"{ref.get('kind')}/{ns + '/' if ns else ''}{ref.get('name')}"
    if result.field:
        where += f" {result.field['path']}" if where else result.field["path"]
    return f"[{result.severity}] {where + ': ' if where else ''}{result.message}"


def updated(item, data):
    """Update an item with new data; [a warning] when its text could not be
    edited in place and it was written from its data instead."""
    note = item.update(data)
    return [Result(f"{item.kind} {item.name}: {note}", WARNING, item.ref(), file=item.file())] if note else []
