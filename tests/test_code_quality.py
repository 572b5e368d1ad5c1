"""The house rules, checked by the tools that own them: ruff (a broad rule
set, pyproject.toml [tool.ruff]) over fn/, tests/ and bench/, mypy over all
of fn/ ([tool.mypy]) and import-linter for the layers of the architecture
([tool.importlinter])."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tool(name):
    path = os.path.join(os.path.dirname(sys.executable), name)
    if not os.path.exists(path):
        pytest.fail(f"{name} is not installed: it comes with the test extra")
    return path


def _run(*argv):
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_ruff():
    # The whole project: the function, its tests and the benchmark.
    code, output = _run(_tool("ruff"), "check", "--no-cache", "fn", "tests", "bench")
    assert code == 0, output


def test_mypy():
    code, output = _run(_tool("mypy"))
    assert code == 0, output


def test_import_layers():
    code, output = _run(_tool("lint-imports"), "--no-cache")
    assert code == 0, output


def test_mypy_checks_settings_constructions(tmp_path):
    # The settings are records, not dataclasses (start-up time); to mypy they
    # must still be frozen dataclasses, or a wrong field would pass unseen.
    snippet = tmp_path / "wrong_settings.py"
    snippet.write_text(
        "from fn.settings.model import Dns, WorkloadRef\n"
        "Dns(namespace=3)\n"
        "WorkloadRef(kind='Deployment')\n"
        "Dns().namespace = 'x'\n"
    )
    code, output = _run(_tool("mypy"), "--no-incremental", "--config-file", "pyproject.toml", str(snippet))
    assert code == 1, output
    assert 'Argument "namespace" to "Dns" has incompatible type "int"' in output
    assert 'Missing positional arguments "name", "pod_labels" in call to "WorkloadRef"' in output
    assert "is read-only" in output
