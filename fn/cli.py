"""Command-line entry points: the only place that reads arguments and
hands stdin/stdout to the runner."""

import os
import sys

from . import __version__

USAGE = """usage:
  pipelock-companion                        KRM function: a ResourceList on stdin, the result on stdout
  pipelock-companion --config FILE          a plain YAML stream in and out (Helm --post-renderer)
  pipelock-companion verify [--config FILE] check the boundary only, change nothing
  pipelock-companion probes [--config FILE] the live bypass-closure probe Jobs for the agents on stdin
  pipelock-companion install-plugin [DIR]   install the kustomize exec plugin (kubectl kustomize)
  pipelock-companion --version
"""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    sys.setrecursionlimit(10000)
    try:
        code = _dispatch(argv)
    except KeyboardInterrupt:  # pragma: no cover
        code = 130
    sys.stdout.flush()
    raise SystemExit(code)


def _dispatch(argv):
    if argv[:1] in (["-h"], ["--help"]):
        sys.stdout.write(USAGE)
        return 0
    if argv[:1] == ["--version"]:
        sys.stdout.write(f"pipelock-companion {__version__}\n")
        return 0
    if argv[:1] == ["install-plugin"]:
        from . import plugin

        return plugin.install(argv[1:])
    if argv[:1] == ["probes"]:
        from .probes import bundle

        return bundle.main(argv[1:])
    mode = None
    if argv[:1] == ["verify"]:
        mode, argv = "verify", argv[1:]
    config_path = None
    if argv[:1] == ["--config"] and len(argv) >= 2:
        config_path, argv = argv[1], argv[2:]
    elif argv[:1] and argv[0].startswith("--config="):
        config_path, argv = argv[0].split("=", 1)[1], argv[1:]
    elif len(argv) == 1 and os.path.isfile(argv[0]):
        # kustomize's legacy exec plugin protocol: argv[1] is the plugin's config file.
        config_path, argv = argv[0], []
    if argv:
        sys.stderr.write(f"pipelock-companion: unexpected arguments {' '.join(argv)}\n\n{USAGE}")
        return 2
    from . import runner

    return runner.run_stdio(sys.stdin.buffer, sys.stdout, sys.stderr, config_path=config_path, mode=mode)
