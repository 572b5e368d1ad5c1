"""`pipelock-companion install-plugin [DIR]`: the kustomize legacy exec plugin.

kubectl's built-in kustomize has no `--enable-exec`, so it skips KRM
functions declared with `exec:`. It does run legacy exec plugins: an
executable at

    $KUSTOMIZE_PLUGIN_HOME/<group>/<version>/<lowercase kind>/<Kind>

called with argv[1] = the plugin's config file and the resources as a plain
YAML stream on stdin. `pipelock-companion FILE` already speaks that protocol
(cli: a single existing-file argument is the config file), so the plugin is
a two-line shell script that execs this installation of the function.

The script names the interpreter that is running now by its absolute path
(not resolved through symlinks: a venv's `bin/python` is a symlink, and only
through it does Python find the venv's site-packages), so a plugin installed
from a virtualenv keeps working without activating it.
"""

import os
import shlex
import sys
import tempfile

from . import __version__
from .conventions import API_VERSION, KIND

MARKER = "# pipelock-companion kustomize exec plugin"
USAGE = f"""usage: pipelock-companion install-plugin [--force] [DIR]

Installs the kustomize legacy exec plugin for {API_VERSION} {KIND} at
  DIR/{API_VERSION}/{KIND.lower()}/{KIND}
DIR defaults to $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin,
else ~/.config/kustomize/plugin (where kustomize looks, in that order).
--force replaces an existing file that this command did not write.
"""


def default_home(environ=None):
    """Where kustomize looks for plugins when nothing else is said."""
    environ = os.environ if environ is None else environ
    if environ.get("KUSTOMIZE_PLUGIN_HOME"):
        return environ["KUSTOMIZE_PLUGIN_HOME"]
    if environ.get("XDG_CONFIG_HOME"):
        return os.path.join(environ["XDG_CONFIG_HOME"], "kustomize", "plugin")
    return os.path.join(os.path.expanduser("~"), ".config", "kustomize", "plugin")


def plugin_path(home):
    group, version = API_VERSION.split("/")
    return os.path.join(home, group, version, KIND.lower(), KIND)


def command():
    """argv that runs this installation of the function, from anywhere.

    `python -c` puts the working directory first on sys.path, and kustomize
    runs plugins in the kustomization's directory: a `yaml.py` there would be
    imported instead of PyYAML. The code drops that entry before importing.
    """
    python = os.path.abspath(sys.executable)
    code = ('import sys; sys.path[:] = [p for p in sys.path if p not in ("", ".")]; '
            "from pipelock_companion.cli import main; main()")
    return [python, "-c", code]


def script():
    return (
        "#!/bin/sh\n"
        f"{MARKER} (v{__version__}).\n"
        "# kustomize calls it with argv[1] = the CompanionProxy config file and the\n"
        "# resources as a YAML stream on stdin. Reinstall with\n"
        "# `pipelock-companion install-plugin` after moving the installation.\n"
        f"exec {' '.join(shlex.quote(part) for part in command())} \"$@\"\n"
    )


def install(options, stdout, stderr, environ):
    """The subcommand, with the options the CLI parsed; returns the exit code."""
    home = os.path.abspath(os.path.expanduser(options.get("dir") or default_home(environ)))
    target = plugin_path(home)
    if os.path.lexists(target) and not options.get("force") and not _is_ours(target):
        stderr.write(f"pipelock-companion install-plugin: {target} exists and was not written by this command; "
                     "remove it or pass --force to replace it\n")
        return 1
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        _write_executable(target, script())
    except OSError as err:
        stderr.write(f"pipelock-companion install-plugin: cannot write {target}: {err}\n")
        return 1
    stdout.write(
        f"installed the kustomize exec plugin for {API_VERSION} {KIND}:\n"
        f"  {target}\n"
        f"  (runs {' '.join(shlex.quote(part) for part in command()[:1])} with pipelock_companion {__version__})\n"
        "kubectl kustomize finds it with:\n"
        f"  export KUSTOMIZE_PLUGIN_HOME={shlex.quote(home)}\n"
        "  kubectl kustomize --enable-alpha-plugins DIR\n"
        f"DIR's kustomization lists, under transformers:, a file holding a {KIND}\n"
        "(no config.kubernetes.io/function annotation).\n")
    return 0


def _is_ours(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return MARKER in f.read(4096)
    except OSError:
        return False


def _write_executable(target, text):
    """Write atomically: kustomize never sees a half-written plugin."""
    fd, tmp = tempfile.mkstemp(prefix=".pipelock-plugin-", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
