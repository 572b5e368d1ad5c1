"""`kind: List` in a plain stream (Helm's post-renderer, `--config`): a
document like any other, whose items are resources. kubectl and kustomize
unwrap it; the function must not take it for a ResourceList (its output
would gain `results:`), and an agent inside it must be locked down.

The reader gives it (`reader.read(text, plain=True)`: Item.children, see
tests/unit/test_reader.py); the pipeline's steps read a List's items in its
place (krm.resid.resources).
"""

import subprocess

from conftest import AGENT_ITEM, function_command

LIST = "apiVersion: v1\nkind: List\nitems:\n" + AGENT_ITEM
OTHER = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"


def test_an_agent_in_a_list_in_a_plain_stream_is_patched_in_place(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: fn.pipelock.dev/v1alpha1\nkind: CompanionProxy\nmetadata:\n  name: fn\n")
    text = OTHER + "---\n" + LIST
    proc = subprocess.run([function_command(), "--config", str(config)], input=text.encode(), capture_output=True,
                          timeout=60)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "results:" not in out
    assert out.startswith(OTHER + "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n")
    assert "HTTPS_PROXY" in out.split("\n---\n")[1]  # patched inside the List
    assert "agent-pipelock" in out
