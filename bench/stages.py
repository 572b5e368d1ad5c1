"""CPU seconds per step of the function on one input, as JSON on stdout.

    python bench/stages.py < rl.yaml

Runs the function in this process with each pipeline step timed (CPU, not
wall clock: the machine is shared). The boundary analysis is split into
composing the policy items' data (the KRM layer reading their text) and
the analysis proper. Used by `bench/run.py --policy-heavy`."""

import gc
import io
import json
import os
import sys
import time

from pipelock_companion import cli, pipeline, runner, settings
from pipelock_companion.krm import reader
from pipelock_companion.verify import kinds

TIMES: dict = {}


def _timed(name, step):
    def run(*args, **kwargs):
        start = time.process_time()
        try:
            return step(*args, **kwargs)
        finally:
            TIMES[name] = TIMES.get(name, 0.0) + time.process_time() - start
    return run


def _compile_items(items, context=()):
    start = time.process_time()
    for item in items:
        item.data  # noqa: B018 - composing the text is the KRM layer's cost, timed apart
    TIMES["verify: compose policy items"] = time.process_time() - start
    return _COMPILE(items, context)


_COMPILE = kinds.compile_items


def main():
    pipeline.MODES = {mode: tuple(_timed(step.__name__, step) for step in steps)
                      for mode, steps in pipeline.MODES.items()}
    kinds.compile_items = _compile_items
    reader.read = _timed("read", reader.read)
    settings.load = _timed("settings", settings.load)
    gc.set_threshold(cli.GC_THRESHOLD, 10, 10)  # as cli.main sets it
    data = sys.stdin.buffer.read()
    start = time.process_time()
    pieces, results, _ = runner.process_text(data.decode("utf-8"))
    write_start = time.process_time()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for piece in pieces:
            sink.write(piece)
    TIMES["write"] = time.process_time() - write_start  # the output is made as it is written
    TIMES["total"] = time.process_time() - start
    TIMES["errors"] = sum(r.severity == "error" for r in results)
    json.dump(TIMES, sys.stdout)


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
    main()
