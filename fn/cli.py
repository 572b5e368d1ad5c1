"""Command-line entry point: the only place that reads arguments. Every
subcommand that reads resources goes through the one runner."""

import atexit
import gc
import os
import sys

from . import __version__

# A run keeps what it reads to the end and makes little cyclic garbage, but
# allocates node trees by the hundred thousand (and, starting, the code of
# every module): at the default threshold (700) the collector walked the
# live objects again and again, a quarter of a run with thousands of agents.
GC_THRESHOLD = 10_000  # allocations between two collections of the youngest objects

USAGE = """usage:
  pipelock-companion                        KRM function: a ResourceList on stdin, the result on stdout
  pipelock-companion --config FILE          a plain YAML stream in and out (Helm --post-renderer)
  pipelock-companion verify [--config FILE] check the boundary only, change nothing
  pipelock-companion probes [--config FILE] the live bypass-closure probe Jobs for the agents on stdin
  pipelock-companion install-plugin [--force] [DIR]
                                            install the kustomize exec plugin (kubectl kustomize)
  pipelock-companion --version
Each subcommand takes --help.
"""

SUBCOMMAND_USAGE = {
    "run": """usage: pipelock-companion [--config FILE] < input

With no --config: a ResourceList on stdin (kpt, kustomize containers), the
ResourceList on stdout with the workloads patched, the companions added and
the results. With --config FILE (a CompanionProxy or ConfigMap): a plain YAML
stream in and out (Helm --post-renderer); on an error nothing is written to
stdout and the exit code is 1.
""",
    "verify": """usage: pipelock-companion verify [--config FILE] < input

Checks the companion topology already in the input (the workloads a previous
run patched) against every NetworkPolicy, and changes nothing. The exit code
is 1 when the boundary leaks.
""",
    "probes": """usage: pipelock-companion probes [--config FILE] < input

Writes, for each agent workload in the input, a Job (and its script
ConfigMap) that runs with the agent's pod labels and checks live that direct
egress is blocked and the proxy path works. Apply them, wait for the Jobs,
read their logs.
""",
}

READERS = ("run", "verify", "probes")


class UsageError(Exception):
    """Arguments that make no sense; `command` names the usage text to show."""

    def __init__(self, message, command=None):
        super().__init__(message)
        self.command = command


def main(argv=None):
    """Run the command and end the process with its exit code."""
    gc.set_threshold(GC_THRESHOLD, 10, 10)  # before the imports of the command
    argv = list(sys.argv[1:] if argv is None else argv)
    sys.setrecursionlimit(10000)
    try:
        code = _dispatch(argv)
        sys.stdout.flush()
    except KeyboardInterrupt:  # pragma: no cover
        code = 130
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say to it, and
        # no traceback on the way out.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1
    except OSError as error:
        # The output could not be written (a full disk, a closed pipe's
        # kin): one line saying so, never a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        _say(sys.stderr, f"pipelock-companion: cannot write the output: {error.strerror or error}\n")
        code = 1
    # Everything is written: end without the interpreter's teardown, which
    # frees every object one by one (a fifth of a one-workload run's start,
    # more after a large input). Exit handlers still run (a caller's, or a
    # test's that reads the peak memory on the way out), and what they write
    # is flushed.
    atexit._run_exitfuncs()
    if not _flush(sys.stdout) and code == 0:
        code = 1  # what an exit handler wrote was lost: not a success
    _flush(sys.stderr)
    os._exit(code)


def _say(stream, text):
    """Whether the text could be written."""
    try:
        stream.write(text)
    except (OSError, ValueError):
        return False
    return True


def _flush(stream):
    """Whether what was written reached the stream's reader."""
    try:
        stream.flush()
    except (OSError, ValueError):  # the reader went away, the disk is full, or the stream is closed
        return False
    return True


def parse(argv):
    """(command, options) from the arguments; UsageError when they make no sense."""
    if argv[:1] in (["-h"], ["--help"]):
        return "help", {}
    if argv[:1] == ["--version"]:
        return "version", {}
    if argv[:1] == ["install-plugin"]:
        if "-h" in argv or "--help" in argv:
            return "help", {"command": "install-plugin"}
        return "install-plugin", _plugin_options(argv[1:])
    command = "run"
    if argv[:1] in (["verify"], ["probes"]):
        command, argv = argv[0], argv[1:]
    elif len(argv) == 1 and not argv[0].startswith("-") and os.path.isfile(argv[0]):
        # kustomize's legacy exec plugin protocol: argv[1] is the plugin's config file.
        return command, {"config": argv[0]}
    options: dict = {"config": None}
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in ("-h", "--help"):
            return "help", {"command": command}
        if arg == "--config":
            options["config"] = rest.pop(0) if rest else ""
        elif arg.startswith("--config="):
            options["config"] = arg.split("=", 1)[1]
        else:
            raise UsageError(f"unexpected argument {arg}", command)
        if options["config"] == "":
            raise UsageError("--config needs a file name", command)
    return command, options


def _plugin_options(argv):
    options = {"force": False, "dir": None}
    for arg in argv:
        if arg == "--force":
            options["force"] = True
        elif arg.startswith("-") and arg != "-":
            raise UsageError(f"install-plugin: unknown option {arg}", "install-plugin")
        elif options["dir"] is not None:
            raise UsageError("install-plugin: one DIR at most", "install-plugin")
        else:
            options["dir"] = arg
    return options


def _usage(command):
    if command == "install-plugin":
        from . import plugin

        return plugin.USAGE
    return SUBCOMMAND_USAGE.get(command, USAGE)


def _dispatch(argv):
    try:
        command, options = parse(argv)
    except UsageError as err:
        sys.stderr.write(f"pipelock-companion: {err}\n\n{_usage(err.command)}")
        return 2
    if command == "help":
        sys.stdout.write(_usage(options.get("command")))
        return 0
    if command == "version":
        sys.stdout.write(f"pipelock-companion {__version__}\n")
        return 0
    if command == "install-plugin":
        from . import plugin

        return plugin.install(options, sys.stdout, sys.stderr, os.environ)
    from . import runner

    mode = None if command == "run" else command
    return runner.run_stdio(sys.stdin.buffer, sys.stdout, sys.stderr, config_path=options["config"], mode=mode)
