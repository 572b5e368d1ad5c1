"""The examples catalog (examples/<case>/), run by the real kpt through the
golden harness (tests/kpt_packages.py says what each package holds and how it
runs). Beyond what every package must give, the catalog has its own checks:
each example has a README, the ones the docs name exist, metadata.yaml
names only existing ones, the repository root renders them as subpackages,
and each also runs the other way (eval for a render example, with the
Kptfile mutator's configPath or configMap; render for an eval one).
"""

import os
import shutil
import subprocess

import pytest
import yaml

from kpt_packages import EXAMPLES, ROOT, check_layout, check_other_mode, check_runs, config, env, packages, params, read

FOLDERS = packages(EXAMPLES)
CASES = [os.path.basename(f) for f in FOLDERS]
REQUIRED = ["basic-deployment", "cronjob", "statefulset-shared-namespace", "strict-preset", "kustomize-transformer",
            "kustomize-generator", "configmap-config", "error-env-conflict"]


def test_required_examples_exist():
    assert set(REQUIRED) <= set(CASES), f"missing examples: {sorted(set(REQUIRED) - set(CASES))}"


@pytest.mark.parametrize("folder", params(FOLDERS))
def test_example_layout(folder):
    """The catalog layout, and a README that names the example."""
    check_layout(folder)
    case = os.path.basename(folder)
    assert os.path.isfile(os.path.join(folder, "README.md")), f"{case}: README.md is missing"
    assert f"# {case}" in read(os.path.join(folder, "README.md"))


@pytest.mark.parametrize("folder", params(FOLDERS, known_bugs=True))
def test_example(folder, tmp_path):
    check_runs(folder, tmp_path)


@pytest.mark.parametrize("folder", params(FOLDERS, known_bugs=True))
def test_render_and_eval_agree(folder, tmp_path):
    check_other_mode(folder, tmp_path)


def test_metadata_yaml():
    """The catalog's metadata.yaml: the image at this version, Apache-2.0, examples that exist."""
    from pipelock_companion import __version__

    meta = yaml.safe_load(read(os.path.join(ROOT, "metadata.yaml")))
    assert meta["image"].endswith(f"/pipelock-companion:v{__version__}")
    assert meta["license"] == "Apache-2.0"
    assert meta["description"] and meta["tags"] and meta["sourceURL"].startswith("https://")
    for url in meta.get("examplePackageURLs", []):
        assert url.rsplit("/examples/", 1)[1] in CASES, url


def test_repository_root_is_a_kpt_package_of_the_examples(tmp_path):
    """The top-level Kptfile and .krmignore: `kpt fn render` at the root renders
    every example as a subpackage and reads nothing else at the root, not even
    YAML that is not KRM (metadata.yaml, a malformed test input). (`kpt fn
    render` takes every subpackage, whatever .krmignore says: in the repository
    that includes tests/cases/*, some of which fail on purpose, as
    error-env-conflict does.)"""
    root = tmp_path / "pipelock-companion"
    root.mkdir()
    for name in ("Kptfile", ".krmignore", "metadata.yaml"):
        shutil.copy(os.path.join(ROOT, name), root / name)
    (root / "tests").mkdir()
    (root / "tests" / "malformed.yaml").write_text("items: [unclosed\n")
    # error-env-conflict fails by design, and kpt stops at the first failure.
    rendered = [os.path.basename(f) for f in FOLDERS
                if config(f).get("exitCode", 0) == 0 and config(f).get("testType") != "eval"]
    for case in rendered:
        shutil.copytree(os.path.join(EXAMPLES, case), root / "examples" / case)
    proc = subprocess.run(["kpt", "fn", "render", str(root), "--allow-exec"], capture_output=True, text=True,
                          env=env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    for case in rendered:
        assert f'Package "pipelock-companion/examples/{case}"' in proc.stderr
        # Each rendered example gained its companion file(s), as its diff.patch says.
        for line in read(os.path.join(EXAMPLES, case, ".expected", "diff.patch")).splitlines():
            if line.startswith("+++ b/") and line.endswith("-pipelock.yaml"):
                assert (root / "examples" / line[len("+++ b/"):]).is_file(), line
