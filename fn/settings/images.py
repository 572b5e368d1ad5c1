"""Container image references, as a pod spec takes them.

`repo`, `repo:tag`, `repo@sha256:<hex>` and `repo:tag@sha256:<hex>`
(distribution/reference's grammar: a tag is `[\\w][\\w.-]{0,127}`, so `+` is
not allowed; with both, the runtime pulls by the digest and the tag is for
people). The schema checks the characters; this splits a reference that
passed it.
"""

import re

_DIGEST = re.compile(r"@([a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})$")


def split(reference):
    """(name, tag or None, digest or None). A `:` before the last `/` is a
    registry port, not a tag."""
    digest = None
    match = _DIGEST.search(reference)
    if match:
        digest = match.group(1)
        reference = reference[:match.start()]
    tag = None
    colon = reference.rfind(":")
    if colon > reference.rfind("/"):
        reference, tag = reference[:colon], reference[colon + 1:]
    return reference, tag, digest


def join(name, tag=None, digest=None):
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def is_pinned(reference):
    """A tag or a digest: never the registry's moving `latest` by omission."""
    _, tag, digest = split(reference)
    return bool(tag or digest)
