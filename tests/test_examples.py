"""The examples catalog (examples/<case>/), run by the real kpt.

Each example is a kpt package whose Kptfile runs the installed function with
`exec:`; `.expected/` holds what running it must give, in the kpt functions
catalog's layout:

- config.yaml: `exitCode`, `stdErr` (the whole kpt stderr, checked when the
  exit code is not 0), `allowExec`, and for `testType: eval` the `args` given
  as `kpt fn eval --exec pipelock-companion -- k=v ...`; the function is the
  installed `pipelock-companion`, found on PATH (no `execPath`);
- diff.patch: what the run changes in the package, as `git diff` shows it;
- results.yaml: the FunctionResultList kpt writes to `--results-dir`.

Each example runs twice in a temporary git repository: the first run must
match .expected, the second must change nothing. Each also runs the other
way (eval for a render example, with the Kptfile mutator's configPath or
configMap; render for an eval one) and must give the same diff. Timings,
temporary paths and trailing spaces in kpt's stderr are normalized. PIPELOCK_UPDATE_GOLDEN=1
rewrites diff.patch, results.yaml and the exitCode/stdErr of config.yaml;
review every rewritten file as carefully as code.

KNOWN_BUGS lists examples whose .expected holds the correct output, written
by hand, while the function still gives another: they run as strict xfail
(fixing the bug turns them into a failure until the marker is removed), and
PIPELOCK_UPDATE_GOLDEN=1 leaves their files alone.
"""

import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import UPDATE_GOLDEN, function_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
CASES = sorted(d for d in os.listdir(EXAMPLES) if os.path.isdir(os.path.join(EXAMPLES, d, ".expected")))
REQUIRED = ["basic-deployment", "cronjob", "statefulset-shared-namespace", "strict-preset", "kustomize-transformer",
            "kustomize-generator", "configmap-config", "error-env-conflict"]
KNOWN_BUGS = {}
GIT = ["git", "-c", "user.name=examples", "-c", "user.email=examples@invalid", "-c", "commit.gpgsign=false",
       "-c", "core.autocrlf=false", "-c", "diff.noprefix=false", "-c", "diff.renames=false"]


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _env():
    env = dict(os.environ)
    # `exec: pipelock-companion` and `--exec pipelock-companion` are looked up
    # on PATH (Go refuses relative PATH entries: the directory is absolute).
    env["PATH"] = os.path.dirname(os.path.abspath(function_command())) + os.pathsep + env.get("PATH", "")
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(key, None)
    return env


def _git(repo, *args):
    proc = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, env=_env(), timeout=60)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def _package(case, tmp_path):
    """A copy of the example, .expected and all (its .krmignore must keep kpt
    out of .expected, as for a user), committed in a new git repository."""
    repo = tmp_path / "repo"
    package = repo / case
    shutil.copytree(os.path.join(EXAMPLES, case), package)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "example as committed")
    return repo, package


def _config(case):
    return yaml.safe_load(_read(os.path.join(EXAMPLES, case, ".expected", "config.yaml"))) or {}


def _kpt(config, package, results_dir, mode=None):
    mode = mode or config.get("testType", "render")
    if mode == "eval":
        args = ["fn", "eval", str(package), "--exec", "pipelock-companion", "--results-dir", str(results_dir)]
        if config.get("fnConfig"):
            args += ["--fn-config", str(package / config["fnConfig"])]
        kv = [f"{k}={v}" for k, v in (config.get("args") or {}).items()]
        if kv:
            args += ["--", *kv]
    else:
        args = ["fn", "render", str(package), "--results-dir", str(results_dir)]
        if config.get("allowExec"):
            args.append("--allow-exec")
    # kpt prints `Package "<dir name>"`: run from the repository so it is the case name.
    return subprocess.run(["kpt", *args], cwd=package.parent, capture_output=True, text=True, env=_env(),
                          timeout=120)


def _normalize_stderr(text, results_dir):
    text = re.sub(r'(\[(?:PASS|FAIL)\] ".*?") in [0-9.]+(?:ms|s|m[0-9.]+s)', r"\1 in 0s", text)
    text = text.replace(str(results_dir), "<results-dir>")
    # kpt ends some lines with a space; without it the golden file reads as a block.
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _results(results_dir):
    path = results_dir / "results.yaml"
    return _read(path) if path.exists() else ""


def _diff(repo):
    _git(repo, "add", "-A")
    return _git(repo, "diff", "--cached", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/")


def _str_presenter(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


class _ConfigDumper(yaml.SafeDumper):
    pass


_ConfigDumper.add_representer(str, _str_presenter)


def _update_golden(case, config, code, stderr, diff, results):
    expected = os.path.join(EXAMPLES, case, ".expected")
    config = dict(config)
    config["exitCode"] = code
    if code != 0:
        config["stdErr"] = stderr
    else:
        config.pop("stdErr", None)
    _write(os.path.join(expected, "config.yaml"), yaml.dump(config, Dumper=_ConfigDumper, sort_keys=False))
    _write(os.path.join(expected, "diff.patch"), diff)
    _write(os.path.join(expected, "results.yaml"), results)


def test_required_examples_exist():
    assert set(REQUIRED) <= set(CASES), f"missing examples: {sorted(set(REQUIRED) - set(CASES))}"


@pytest.mark.parametrize("case", CASES)
def test_example_layout(case):
    """The catalog layout: Kptfile with an exec mutator, a README, the three .expected files."""
    folder = os.path.join(EXAMPLES, case)
    for name in ("Kptfile", "README.md", ".krmignore", ".expected/config.yaml", ".expected/diff.patch",
                 ".expected/results.yaml"):
        assert os.path.isfile(os.path.join(folder, name)), f"{case}: {name} is missing"
    kptfile = yaml.safe_load(_read(os.path.join(folder, "Kptfile")))
    assert kptfile["metadata"]["name"] == case
    mutators = kptfile["pipeline"]["mutators"]
    assert [m.get("exec") for m in mutators] == ["pipelock-companion"], "one mutator, exec: pipelock-companion"
    assert f"# {case}" in _read(os.path.join(folder, "README.md"))
    config = _config(case)
    assert config.get("allowExec") is True
    assert config.get("testType", "render") in ("render", "eval")
    # A function config a mutator names exists and is local config (kpt and
    # kustomize do not deploy it).
    for mutator in mutators:
        if "configPath" in mutator:
            fn_config = yaml.safe_load(_read(os.path.join(folder, mutator["configPath"])))
            assert fn_config["kind"] == "CompanionProxy"
            assert fn_config["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"


def _known_bug(case):
    reason = KNOWN_BUGS.get(case)
    return pytest.param(case, marks=pytest.mark.xfail(reason=reason, strict=True)) if reason else case


@pytest.mark.parametrize("case", [_known_bug(c) for c in CASES])
def test_example(case, tmp_path):
    config = _config(case)
    repo, package = _package(case, tmp_path)
    results_dir = tmp_path / "results-1"
    proc = _kpt(config, package, results_dir)
    stderr = _normalize_stderr(proc.stderr, results_dir)
    diff = _diff(repo)
    results = _results(results_dir)
    assert "Traceback" not in proc.stderr
    if UPDATE_GOLDEN and case not in KNOWN_BUGS:
        _update_golden(case, config, proc.returncode, stderr, diff, results)
        config = _config(case)
    expected = os.path.join(EXAMPLES, case, ".expected")
    assert proc.returncode == config.get("exitCode", 0), stderr
    if proc.returncode != 0:
        assert stderr == config.get("stdErr", "")
    assert diff == _read(os.path.join(expected, "diff.patch"))
    assert results == _read(os.path.join(expected, "results.yaml"))

    # The second run changes nothing and exits the same way.
    _git(repo, "commit", "-q", "--allow-empty", "-m", "first run")
    second = _kpt(config, package, tmp_path / "results-2")
    assert second.returncode == proc.returncode, second.stderr
    assert _diff(repo) == "", f"{case}: the second run changed the package"


def _other_mode(case, config):
    """The mode .expected was not made with, and the config.yaml that drives it:
    eval takes the Kptfile mutator's configPath (--fn-config) or configMap (k=v)."""
    if config.get("testType") == "eval":
        return "render", config
    mutator = yaml.safe_load(_read(os.path.join(EXAMPLES, case, "Kptfile")))["pipeline"]["mutators"][0]
    other = dict(config, args=mutator.get("configMap") or {})
    if "configPath" in mutator:
        other["fnConfig"] = mutator["configPath"]
    return "eval", other


@pytest.mark.parametrize("case", CASES)
def test_render_and_eval_agree(case, tmp_path):
    """Each example also runs the other way (`kpt fn eval --exec` for a render
    example, `kpt fn render` for an eval one) with the same settings, and
    must change the package exactly as .expected/diff.patch says."""
    mode, config = _other_mode(case, _config(case))
    repo, package = _package(case, tmp_path)
    proc = _kpt(config, package, tmp_path / "results", mode=mode)
    assert proc.returncode == config.get("exitCode", 0), proc.stderr
    assert _diff(repo) == _read(os.path.join(EXAMPLES, case, ".expected", "diff.patch"))
    if proc.returncode == 0:
        assert _results(tmp_path / "results") == _read(os.path.join(EXAMPLES, case, ".expected", "results.yaml"))


def test_metadata_yaml():
    """The catalog's metadata.yaml: the image at this version, Apache-2.0, examples that exist."""
    from pipelock_companion import __version__

    meta = yaml.safe_load(_read(os.path.join(ROOT, "metadata.yaml")))
    assert meta["image"].endswith(f"/pipelock-companion:v{__version__}")
    assert meta["license"] == "Apache-2.0"
    assert meta["description"] and meta["tags"] and meta["sourceURL"].startswith("https://")
    for url in meta.get("examplePackageURLs", []):
        assert url.rsplit("/examples/", 1)[1] in CASES, url


def test_repository_root_is_a_kpt_package_of_the_examples(tmp_path):
    """The top-level Kptfile and .krmignore: `kpt fn render` at the root renders
    every example as a subpackage and reads nothing else at the root, not even
    YAML that is not KRM (metadata.yaml, a malformed test input)."""
    root = tmp_path / "pipelock-companion"
    root.mkdir()
    for name in ("Kptfile", ".krmignore", "metadata.yaml"):
        shutil.copy(os.path.join(ROOT, name), root / name)
    (root / "tests").mkdir()
    (root / "tests" / "malformed.yaml").write_text("items: [unclosed\n")
    # error-env-conflict fails by design, and kpt stops at the first failure.
    rendered = [c for c in CASES if _config(c).get("exitCode", 0) == 0 and _config(c).get("testType") != "eval"]
    for case in rendered:
        shutil.copytree(os.path.join(EXAMPLES, case), root / "examples" / case)
    proc = subprocess.run(["kpt", "fn", "render", str(root), "--allow-exec"], capture_output=True, text=True,
                          env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    for case in rendered:
        assert f'Package "pipelock-companion/examples/{case}"' in proc.stderr
        # Each rendered example gained its companion file(s), as its diff.patch says.
        for line in _read(os.path.join(EXAMPLES, case, ".expected", "diff.patch")).splitlines():
            if line.startswith("+++ b/") and line.endswith("-pipelock.yaml"):
                assert (root / "examples" / line[len("+++ b/"):]).is_file(), line
