import os
import shutil
import subprocess
import sys

import pytest

UPDATE_GOLDEN = os.environ.get("PIPELOCK_UPDATE_GOLDEN") == "1"

# One opted-in agent Deployment, as an item of a ResourceList.
AGENT_ITEM = """\
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: agent
    namespace: agents
    annotations:
      pipelock.dev/inject: "true"
  spec:
    selector:
      matchLabels: {app: agent}
    template:
      metadata:
        labels: {app: agent}
      spec:
        containers:
        - name: agent
          image: example.com/agent:1.0.0
"""


def package_files(directory):
    """{path relative to `directory`: its bytes} for every file under it."""
    out = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, directory)] = f.read()
    return out


def function_command():
    """The installed console script, next to the interpreter running the tests."""
    candidate = os.path.join(os.path.dirname(sys.executable), "pipelock-companion")
    if os.path.exists(candidate):
        return candidate
    found = shutil.which("pipelock-companion")
    if not found:
        pytest.fail("pipelock-companion is not installed: run the README's test command")
    return found


@pytest.fixture(scope="session")
def fn_command():
    return function_command()


def run_function(data, args=(), timeout=60):
    """Run the installed function as kpt would: bytes in, (stdout, stderr, code) out."""
    proc = subprocess.run([function_command(), *args], input=data, capture_output=True, timeout=timeout)
    return proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"), proc.returncode
