"""Golden tests: tests/golden/<case>/input.yaml through the installed command.

Each case folder holds input.yaml (a ResourceList, its functionConfig
inside), output.yaml (the exact expected stdout) and exit_code. Set
PIPELOCK_UPDATE_GOLDEN=1 to rewrite output.yaml and exit_code, then review
the diff as carefully as code.
"""

import os

import pytest
import yaml

from conftest import UPDATE_GOLDEN, run_function

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
CASES = sorted(d for d in os.listdir(GOLDEN) if os.path.isdir(os.path.join(GOLDEN, d)))


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    folder = os.path.join(GOLDEN, case)
    data = _read(os.path.join(folder, "input.yaml")).encode()
    out, err, code = run_function(data)
    assert "Traceback" not in err
    if UPDATE_GOLDEN:
        with open(os.path.join(folder, "output.yaml"), "w", encoding="utf-8") as f:
            f.write(out)
        with open(os.path.join(folder, "exit_code"), "w", encoding="utf-8") as f:
            f.write(f"{code}\n")
    assert out == _read(os.path.join(folder, "output.yaml"))
    assert code == int(_read(os.path.join(folder, "exit_code")))
    # Every case's output is a ResourceList a YAML reader accepts.
    parsed = yaml.safe_load(out)
    assert parsed["kind"] == "ResourceList"
    if case.startswith("error-"):
        assert code == 1
        assert any(r["severity"] == "error" for r in parsed["results"])


@pytest.mark.parametrize("case", [c for c in CASES if not c.startswith("error-")])
def test_second_run_changes_nothing(case):
    first, _, code = run_function(_read(os.path.join(GOLDEN, case, "input.yaml")).encode())
    assert code == 0
    # The results of the first run are not input to the second.
    second_input = first.split("\nresults:\n", 1)[0] + "\n"
    second, _, code = run_function(second_input.encode())
    assert code == 0
    assert second.split("\nresults:\n", 1)[0] == first.split("\nresults:\n", 1)[0]
