"""The golden harness: kpt packages with what running them must give, run by
the real kpt. tests/test_examples.py runs the catalog (examples/<case>/),
tests/test_cases.py the test cases (tests/cases/<case>/); both are in the kpt
functions catalog's layout:

- Kptfile (named after the case) whose one mutator runs the installed
  function with `exec: pipelock-companion`, its settings in a local-config
  CompanionProxy file (`configPath`) or as strings (`configMap`);
- the resources, in files as a user would have them; .krmignore keeps kpt
  out of .expected, as for a user;
- .expected/config.yaml: `exitCode`, `stdErr` (the whole kpt stderr, checked
  when the exit code is not 0), `allowExec`, and for `testType: eval` the
  `args` given as `kpt fn eval --exec pipelock-companion -- k=v ...`; the
  function is the installed `pipelock-companion`, found on PATH (no
  `execPath`);
- .expected/diff.patch: what the run changes in the package, as `git diff`
  shows it;
- .expected/results.yaml: the FunctionResultList kpt writes to
  `--results-dir`.

Each package runs twice in a temporary git repository: the first run must
match .expected, the second must change nothing. Timings, temporary paths
and trailing spaces in kpt's stderr are normalized. PIPELOCK_UPDATE_GOLDEN=1
rewrites diff.patch, results.yaml and the exitCode/stdErr of config.yaml;
review every rewritten file as carefully as code.

KNOWN_BUGS lists packages whose .expected holds the correct output, written
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
CASES = os.path.join(ROOT, "tests", "cases")
# Package folder relative to ROOT (e.g. "tests/cases/job") -> the bug's issue.
KNOWN_BUGS: dict[str, str] = {}
GIT = ["git", "-c", "user.name=examples", "-c", "user.email=examples@invalid", "-c", "commit.gpgsign=false",
       "-c", "core.autocrlf=false", "-c", "diff.noprefix=false", "-c", "diff.renames=false"]


def packages(parent):
    """The package folders under `parent`: every folder with an .expected."""
    return sorted(os.path.join(parent, d) for d in os.listdir(parent)
                  if os.path.isdir(os.path.join(parent, d, ".expected")))


def params(folders, known_bugs=False):
    """pytest parameters named by case; with known_bugs, those of KNOWN_BUGS
    marked strict xfail (for the tests that compare with .expected)."""
    out = []
    for folder in folders:
        reason = KNOWN_BUGS.get(os.path.relpath(folder, ROOT)) if known_bugs else None
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        out.append(pytest.param(folder, id=os.path.basename(folder), marks=marks))
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def env():
    out = dict(os.environ)
    # `exec: pipelock-companion` and `--exec pipelock-companion` are looked up
    # on PATH (Go refuses relative PATH entries: the directory is absolute).
    out["PATH"] = os.path.dirname(os.path.abspath(function_command())) + os.pathsep + out.get("PATH", "")
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        out.pop(key, None)
    return out


def _git(repo, *args):
    proc = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, env=env(), timeout=60)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def _checkout(folder, tmp_path):
    """A copy of the package, .expected and all, committed in a new git repository."""
    repo = tmp_path / "repo"
    package = repo / os.path.basename(folder)
    shutil.copytree(folder, package)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "package as committed")
    return repo, package


def config(folder):
    return yaml.safe_load(read(os.path.join(folder, ".expected", "config.yaml"))) or {}


def kptfile(folder):
    return yaml.safe_load(read(os.path.join(folder, "Kptfile")))


def _kpt(cfg, package, results_dir, mode=None):
    mode = mode or cfg.get("testType", "render")
    if mode == "eval":
        args = ["fn", "eval", str(package), "--exec", "pipelock-companion", "--results-dir", str(results_dir)]
        if cfg.get("fnConfig"):
            args += ["--fn-config", str(package / cfg["fnConfig"])]
        kv = [f"{k}={v}" for k, v in (cfg.get("args") or {}).items()]
        if kv:
            args += ["--", *kv]
    else:
        args = ["fn", "render", str(package), "--results-dir", str(results_dir)]
        if cfg.get("allowExec"):
            args.append("--allow-exec")
    # kpt prints `Package "<dir name>"`: run from the repository so it is the case name.
    return subprocess.run(["kpt", *args], cwd=package.parent, capture_output=True, text=True, env=env(),
                          timeout=120)


def _normalize_stderr(text, results_dir):
    text = re.sub(r'(\[(?:PASS|FAIL)\] ".*?") in [0-9.]+(?:ms|s|m[0-9.]+s)', r"\1 in 0s", text)
    text = text.replace(str(results_dir), "<results-dir>")
    # kpt ends some lines with a space; without it the golden file reads as a block.
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _results(results_dir):
    path = results_dir / "results.yaml"
    return read(path) if path.exists() else ""


def _diff(repo):
    _git(repo, "add", "-A")
    return _git(repo, "diff", "--cached", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/")


def _str_presenter(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


class _ConfigDumper(yaml.SafeDumper):
    pass


_ConfigDumper.add_representer(str, _str_presenter)


def _update_golden(folder, cfg, code, stderr, diff, results):
    expected = os.path.join(folder, ".expected")
    cfg = dict(cfg)
    cfg["exitCode"] = code
    if code != 0:
        cfg["stdErr"] = stderr
    else:
        cfg.pop("stdErr", None)
    _write(os.path.join(expected, "config.yaml"), yaml.dump(cfg, Dumper=_ConfigDumper, sort_keys=False))
    _write(os.path.join(expected, "diff.patch"), diff)
    _write(os.path.join(expected, "results.yaml"), results)


# --- a package's files for tests that run the function without kpt ------------

def _is_local_config(obj):
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return annotations.get("config.kubernetes.io/local-config") == "true"


def _documents(text):
    """The YAML documents of a file, as text (kept as written)."""
    return [doc for doc in re.split(r"^---[ \t]*\n", text, flags=re.MULTILINE) if yaml.safe_load(doc) is not None]


def resource_list(folder):
    """The package as one ResourceList text, for a test that runs the function
    without kpt: every resource file's documents as items (in file order, their
    text kept; local config left out), the mutator's config as the
    functionConfig (the configPath file, or the configMap as a ConfigMap)."""
    mutator = kptfile(folder)["pipeline"]["mutators"][0]
    config_path = mutator.get("configPath")
    files = [name for name in sorted(os.listdir(folder)) if name.endswith((".yaml", ".yml")) and name != config_path]
    items = [_indented(doc, entry=True) for name in files for doc in _documents(read(os.path.join(folder, name)))
             if not _is_local_config(yaml.safe_load(doc))]
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
    text += "items:\n" + "".join(items) if items else "items: []\n"
    if config_path:
        text += "functionConfig:\n" + _indented(read(os.path.join(folder, config_path)))
    elif mutator.get("configMap"):
        data = yaml.safe_dump(mutator["configMap"], sort_keys=False)
        text += ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: function-input\n"
                 "  data:\n" + _indented(data, by="    "))
    return text


def _indented(doc, by="  ", entry=False):
    """`doc` indented as a value under a key, or (entry) as a list entry: the
    dash on its first line that is not a comment, comments above it at column 0."""
    out, head = [], entry
    for line in doc.rstrip("\n").split("\n"):
        if head and line.startswith("#"):
            out.append(line)
        elif head:
            out.append("- " + line)
            head = False
        else:
            out.append(by + line if line else line)
    return "\n".join(out) + "\n"


def expected_resources(folder, workdir, loader=yaml.SafeLoader):
    """What the package holds after the expected run: a copy in `workdir` with
    .expected/diff.patch applied; every object of its YAML files except local
    config (the Kptfile, the function config), as (file name, object), read
    with `loader`."""
    case = os.path.basename(folder)
    shutil.copytree(folder, os.path.join(workdir, case))
    patch = os.path.join(folder, ".expected", "diff.patch")
    if read(patch):
        _git(workdir, "apply", patch)
    return _resources(os.path.join(workdir, case), loader)


def input_resources(folder, loader=yaml.SafeLoader):
    """What the package holds before the run, as expected_resources has it."""
    return _resources(folder, loader)


def _resources(folder, loader):
    """Every object of the folder's YAML files except local config, as (file name, object)."""
    files = [name for name in sorted(os.listdir(folder)) if name.endswith((".yaml", ".yml"))]
    return [(name, doc) for name in files for doc in yaml.load_all(read(os.path.join(folder, name)), loader)
            if isinstance(doc, dict) and not _is_local_config(doc)]


def check_layout(folder):
    """What every package has: a Kptfile named after it with one exec mutator,
    .krmignore, the three .expected files, and a function config a mutator
    names that is local config (kpt and kustomize do not deploy it)."""
    case = os.path.basename(folder)
    for name in ("Kptfile", ".krmignore", ".expected/config.yaml", ".expected/diff.patch",
                 ".expected/results.yaml"):
        assert os.path.isfile(os.path.join(folder, name)), f"{case}: {name} is missing"
    assert ".expected" in read(os.path.join(folder, ".krmignore")).split()
    kpt = kptfile(folder)
    assert kpt["metadata"]["name"] == case
    mutators = kpt["pipeline"]["mutators"]
    assert [m.get("exec") for m in mutators] == ["pipelock-companion"], "one mutator, exec: pipelock-companion"
    cfg = config(folder)
    assert cfg.get("allowExec") is True
    assert cfg.get("testType", "render") in ("render", "eval")
    for mutator in mutators:
        if "configPath" in mutator:
            fn_config = yaml.safe_load(read(os.path.join(folder, mutator["configPath"])))
            assert fn_config["kind"] == "CompanionProxy"
            assert fn_config["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"


def check_runs(folder, tmp_path):
    """The first run gives .expected; the second changes nothing and exits the same way."""
    cfg = config(folder)
    repo, package = _checkout(folder, tmp_path)
    results_dir = tmp_path / "results-1"
    proc = _kpt(cfg, package, results_dir)
    stderr = _normalize_stderr(proc.stderr, results_dir)
    diff = _diff(repo)
    results = _results(results_dir)
    assert "Traceback" not in proc.stderr
    if UPDATE_GOLDEN and os.path.relpath(folder, ROOT) not in KNOWN_BUGS:
        _update_golden(folder, cfg, proc.returncode, stderr, diff, results)
        cfg = config(folder)
    expected = os.path.join(folder, ".expected")
    assert proc.returncode == cfg.get("exitCode", 0), stderr
    if proc.returncode != 0:
        assert stderr == cfg.get("stdErr", "")
    assert diff == read(os.path.join(expected, "diff.patch"))
    assert results == read(os.path.join(expected, "results.yaml"))

    _git(repo, "commit", "-q", "--allow-empty", "-m", "first run")
    second = _kpt(cfg, package, tmp_path / "results-2")
    assert second.returncode == proc.returncode, second.stderr
    assert _diff(repo) == "", f"{os.path.basename(folder)}: the second run changed the package"


def _other_mode(folder, cfg):
    """The mode .expected was not made with, and the config.yaml that drives it:
    eval takes the Kptfile mutator's configPath (--fn-config) or configMap (k=v)."""
    if cfg.get("testType") == "eval":
        return "render", cfg
    mutator = kptfile(folder)["pipeline"]["mutators"][0]
    other = dict(cfg, args=mutator.get("configMap") or {})
    if "configPath" in mutator:
        other["fnConfig"] = mutator["configPath"]
    return "eval", other


def check_other_mode(folder, tmp_path):
    """The package also runs the other way (`kpt fn eval --exec` for a render
    package, `kpt fn render` for an eval one) with the same settings, and
    must change it exactly as .expected/diff.patch says."""
    mode, cfg = _other_mode(folder, config(folder))
    repo, package = _checkout(folder, tmp_path)
    proc = _kpt(cfg, package, tmp_path / "results", mode=mode)
    assert proc.returncode == cfg.get("exitCode", 0), proc.stderr
    assert _diff(repo) == read(os.path.join(folder, ".expected", "diff.patch"))
    if proc.returncode == 0:
        assert _results(tmp_path / "results") == read(os.path.join(folder, ".expected", "results.yaml"))
