"""The one runner: input bytes in, output text, results and an exit code
out, for every mode (generate, verify, probes).

It reads the input within its limits, takes the settings from the
functionConfig (or a `--config` file), runs the mode's steps and writes the
output in the shape the input came in:

- a ResourceList is always written back whole, with the results added
  (the KRM contract: kpt replaces the package with what it gets);
- a plain stream (Helm post-renderer, kustomize exec plugin) is written
  only when there is no error: a post-renderer or a pipe must never hand
  on unpatched manifests, and Helm and kustomize stop on the exit code;
- `probes` writes the probe objects as a stream, likewise only without error.

Whatever happens inside, the caller gets results, never a traceback.
"""

import os

from . import pipeline, settings
from .krm import reader, writer
from .krm import results as R

EXIT_OK, EXIT_ERROR = 0, 1


def process(data, config_text=None, mode=None, config_problem=None):
    """(output text, results, input format) for input bytes; no I/O."""
    pieces, results, fmt = process_text(_decoded(data), config_text, mode, config_problem)
    return "".join(pieces), results, fmt


def _decoded(data):
    """The input text, or the InputError that says why there is none."""
    try:
        return reader.decode(data)
    except reader.InputError as err:
        return err


def process_text(text, config_text=None, mode=None, config_problem=None):
    """(output pieces, results, input format) for decoded input text (or
    the InputError that stopped its decoding). The pieces are produced as
    they are consumed, so a caller writing them never holds the whole output.
    `mode` overrides the functionConfig's spec.mode (the subcommands)."""
    results = [config_problem] if config_problem is not None else []
    plain = config_text is not None or config_problem is not None
    if isinstance(text, reader.InputError):
        parsed = reader.Parsed("resourcelist", errors=[text])
    elif plain and (not text or text.isspace()):
        # A plain stream of no resources: kustomize runs an exec plugin
        # listed under generators: with nothing on stdin.
        parsed = reader.Parsed("stream")
    else:
        parsed = reader.read(text, plain=plain)
    if parsed.fmt == "stream" and config_text is None and mode != pipeline.PROBES \
            and not any(i.is_mapping and i.kind for i in parsed.items):
        # Neither a ResourceList nor a stream of resources: answer as the KRM
        # contract asks, with a ResourceList that says what is wrong.
        problem = reader.InputError("input is neither a ResourceList nor a stream of Kubernetes resources")
        parsed = reader.Parsed("resourcelist", errors=parsed.errors or [problem])
    results += [_input_error(err) for err in parsed.errors]
    results += _unidentified(parsed)
    function_config = parsed.function_config
    if config_text is not None:
        function_config, problems = config_from_text(config_text)
        results += problems
    items = parsed.items
    if not R.has_errors(results):
        loaded, problems = settings.load(function_config)
        results += problems
        if not R.has_errors(problems):
            items, found = _run_steps(parsed.items, loaded, mode or loaded.mode, parsed.fmt)
            results += found
    return _output(parsed, items, results, mode), results, parsed.fmt


def _run_steps(items, loaded, mode, fmt):
    try:
        return pipeline.run(items, loaded, mode, fmt)
    except Exception as err:  # noqa: BLE001 - never a traceback instead of output
        return items, [R.Result(
            f"internal error: {type(err).__name__}: {err}; the input is returned unchanged. "
            f"Please report this with the input that caused it. {_where(err)}", R.ERROR)]


def _output(parsed, items, results, mode):
    if parsed.fmt == "resourcelist" and mode != pipeline.PROBES:
        return writer.chunks(parsed, items, results)
    if R.has_errors(results):
        return iter(())
    if mode == pipeline.PROBES:
        return writer.chunks(reader.Parsed("stream"), items, [])
    return writer.chunks(parsed, items, results)


# Past this many, items without an identity are counted, not listed: a
# result per item of a huge broken input would cost more than the input.
MAX_UNIDENTIFIED_LISTED = 20


def _unidentified(parsed):
    """Items without apiVersion, kind or metadata.name pass through untouched,
    but kpt refuses to write them back: say so."""
    out: list = []
    unlisted = 0
    for index, item in enumerate(parsed.items):
        if not item.is_mapping:
            continue
        missing = [field for field, value in (("apiVersion", item.api_version), ("kind", item.kind),
                                               ("metadata.name", item.name)) if not value]
        if missing and len(out) >= MAX_UNIDENTIFIED_LISTED:
            unlisted += 1
        elif missing:
            where = f"items[{index}]" if parsed.fmt == "resourcelist" else f"document {index}"
            out.append(R.Result(
                f"{where} (line {item.line}) has no {', '.join(missing)}: it is not a KRM resource; passed through "
                "unchanged, but kpt and kubectl will reject it", R.WARNING,
                field=R.field(where + "." + missing[0])))
    if unlisted:
        out.append(R.Result(f"{unlisted} more items have no apiVersion, kind or metadata.name; passed through "
                            "unchanged", R.WARNING))
    return out


def _where(err):
    import traceback  # only on the way to an internal-error result

    frames = traceback.extract_tb(err.__traceback__)
    return f"(at {frames[-1].name}:{frames[-1].lineno})" if frames else ""


def _input_error(err):
    ref = None
    if err.ref:
        ref = {k: err.ref.get(k, "") for k in ("apiVersion", "kind", "name")}
        if err.ref.get("namespace"):
            ref["namespace"] = err.ref["namespace"]
    return R.Result(f"cannot read input: {err.describe()}", R.ERROR, ref,
                    field=R.field(err.where) if err.where else None)


def config_from_text(text):
    """(the functionConfig item of a --config file, [error results])."""
    if not text.strip():
        return None, [R.Result("the config file is empty: it must hold a CompanionProxy (or a ConfigMap)", R.ERROR)]
    parsed = reader.read(text)
    problems = [R.Result(f"cannot read the config file: {e.describe()}", R.ERROR) for e in parsed.errors]
    if problems:
        return None, problems
    if parsed.fmt == "resourcelist":
        return parsed.function_config, []
    items = [i for i in parsed.items if i.is_mapping]
    if len(items) != 1:
        return None, [R.Result(f"the config file must hold exactly one document, found {len(items)}", R.ERROR)]
    return items[0], []


def _read_limited(stream, limit, chunk=1 << 20):
    """All of `stream`, or, once it passes `limit`, only enough to say so:
    an oversized input is refused without being held in memory."""
    chunks: list = []
    total = 0
    while True:
        block = stream.read(chunk)
        if not block:
            return b"".join(chunks)
        total += len(block)
        if total > limit:
            chunks.clear()
            while stream.read(chunk):  # drain, so the writer is not killed by SIGPIPE
                total += chunk
            return reader.Oversized(total)
        chunks.append(block)


def read_config_file(path):
    """(config text or None, an error result or None)."""
    try:
        with open(path, "rb") as f:
            data = _read_limited(f, reader.limits.MAX_INPUT_BYTES)
        return reader.decode(data), None
    except (OSError, reader.InputError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return None, R.Result(f"cannot read the config file {path}: {reason}", R.ERROR)


def run_stdio(stdin, stdout, stderr, config_path=None, mode=None):
    """Run over binary stdin and text stdout/stderr; returns the exit code."""
    text = _decoded(_read_limited(stdin, reader.limits.MAX_INPUT_BYTES))  # the bytes are let go here
    config_text = problem = None
    if config_path is not None:
        config_text, problem = read_config_file(config_path)
    pieces, results, fmt = process_text(text, config_text, mode, problem)
    for piece in pieces:
        stdout.write(piece)
    # Results travel in the ResourceList; errors and warnings also go to
    # stderr, which is all a plain stream has. kustomize shows no results at
    # all and asks for logs on stderr (LOG_TO_STDERR=true): it gets them all.
    log_all = fmt == "stream" or mode == pipeline.PROBES or os.environ.get("LOG_TO_STDERR") == "true"
    for result in results:
        if result.severity != R.INFO or log_all:
            stderr.write(R.format_line(result) + "\n")
    return EXIT_ERROR if R.has_errors(results) else EXIT_OK
