"""What the corpus tests share: the agent they run beside, and the two
ways of running the function in process (a ResourceList, a plain stream)."""

import io

from pipelock_companion import runner
from pipelock_companion.krm import results as R

from conftest import AGENT_ITEM

# The agent as a document of a stream, and as an item of a ResourceList.
AGENT_DOC = "".join(line[2:] + "\n" for line in AGENT_ITEM.splitlines())
AGENT_ENTRY = AGENT_ITEM
HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
# Some streams hold no agent, by design: allowEmptyMatch keeps that from being the error.
CONFIG = ("apiVersion: fn.pipelock.dev/v1alpha1\nkind: CompanionProxy\nmetadata:\n  name: fn\n"
          "spec:\n  allowEmptyMatch: true\n")


def run_resource_list(text):
    """(output, results) of a ResourceList."""
    out, results, fmt = runner.process(text.encode("utf-8"))
    assert fmt == "resourcelist"
    return out, results


def run_stream(text, config_path):
    """(stdout, stderr, exit code) of a plain stream, as `--config FILE` runs it."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = runner.run_stdio(io.BytesIO(text.encode("utf-8")), stdout, stderr, config_path=config_path)
    return stdout.getvalue(), stderr.getvalue(), code


def errors(results):
    return [r.message for r in results if r.severity == R.ERROR]


def assert_refused_in_a_stream(out, err, code):
    """How plain-stream mode refuses input: exit 1, every error on stderr,
    and stdout EMPTY (a pipe without pipefail must never get unpatched
    manifests)."""
    assert code == 1, err
    assert out == "", out[:500]
    assert "[error]" in err
    assert "Traceback" not in err and "internal error" not in err, err
