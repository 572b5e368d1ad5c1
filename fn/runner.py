"""Runs the function over streams: read, transform, write, exit code.

Whatever happens inside, the caller gets the full ResourceList (or stream)
on stdout and results, never a traceback: an unexpected failure becomes an
error result and exit code 1.
"""

import os
import traceback

from . import transform
from .krm import reader, writer
from .krm import results as R
from .krm.item import Item

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
    the InputError that stopped its decoding); the pieces are produced as
    they are consumed, so a caller writing them never holds the whole output."""
    results = [config_problem] if config_problem is not None else []
    if isinstance(text, reader.InputError):
        parsed = reader.Parsed("resourcelist", errors=[text])
        return writer.chunks(parsed, [], [_input_error(text)]), [_input_error(text)], parsed.fmt
    parsed = reader.read(text)
    if parsed.fmt == "stream" and config_text is None and not any(i.is_mapping and i.kind for i in parsed.items):
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
        try:
            if mode is not None:
                function_config = _with_mode(function_config, mode)
            items, found = transform.run(parsed.items, function_config, parsed.fmt)
            results += found
        except Exception as err:  # never a traceback instead of output
            items = parsed.items
            results.append(R.Result(
                f"internal error: {type(err).__name__}: {err}; the input is returned unchanged. "
                f"Please report this with the input that caused it. {_where(err)}", R.ERROR))
    return writer.chunks(parsed, items, results), results, parsed.fmt


# Past this many, items without an identity are counted, not listed: a
# result per item of a huge broken input would cost more than the input.
MAX_UNIDENTIFIED_LISTED = 20


def _unidentified(parsed):
    """Items without apiVersion, kind or metadata.name pass through untouched,
    but kpt refuses to write them back: say so."""
    out = []
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


def _with_mode(function_config, mode):
    """The function config with spec.mode forced (the `verify` subcommand)."""
    base = dict(function_config.data) if function_config is not None else {}
    if not base or base.get("kind") != "CompanionProxy":
        from .config import API_VERSION, KIND

        if base.get("kind") == "ConfigMap" and base.get("data"):
            data = dict(base["data"])
            data["mode"] = mode
            return Item.from_data({**base, "data": data})
        base = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": "verify"}}
    spec = dict(base.get("spec") or {})
    spec["mode"] = mode
    return Item.from_data({**base, "spec": spec})


def _read_limited(stream, limit, chunk=1 << 20):
    """All of `stream`, or, once it passes `limit`, only enough to say so:
    an oversized input is refused without being held in memory."""
    chunks, total = [], 0
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


def run_stdio(stdin, stdout, stderr, config_path=None, mode=None):
    text = _decoded(_read_limited(stdin, reader.MAX_INPUT_BYTES))  # the bytes are let go here
    config_text = problem = None
    if config_path is not None:
        try:
            with open(config_path, "rb") as f:
                config_text = reader.decode(f.read())
        except (OSError, reader.InputError) as err:
            problem = R.Result(f"cannot read the config file {config_path}: {err}", R.ERROR)
    pieces, results, fmt = process_text(text, config_text, mode, problem)
    for piece in pieces:
        stdout.write(piece)
    # Results travel in the ResourceList; errors and warnings also go to
    # stderr, which is all a plain stream has. kustomize shows no results at
    # all and asks for logs on stderr (LOG_TO_STDERR=true): it gets them all.
    log_all = fmt == "stream" or os.environ.get("LOG_TO_STDERR") == "true"
    for result in results:
        if result.severity != R.INFO or log_all:
            stderr.write(R.format_line(result) + "\n")
    return EXIT_ERROR if R.has_errors(results) else EXIT_OK
