"""The command line: every subcommand goes through the one runner, answers
--help, and never ends in a traceback, whatever it is given."""

import os
import subprocess

import pytest

from conftest import AGENT_ITEM, function_command

RESOURCE_LIST = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + AGENT_ITEM).encode()
STREAM = AGENT_ITEM.replace("\n  ", "\n")[2:].encode()  # the agent as a plain document


def run(args, data=b"", **kwargs):
    proc = subprocess.run([function_command(), *args], input=data, capture_output=True, timeout=60, **kwargs)
    return proc.stdout.decode(), proc.stderr.decode(), proc.returncode


def assert_no_traceback(err):
    assert "Traceback" not in err and "Error:" not in err.split("[error]")[0], err


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["verify", "--help"], ["probes", "--help"],
                                  ["install-plugin", "--help"], ["--config", "x.yaml", "--help"]])
def test_help_exits_0_with_usage(args):
    out, err, code = run(args)
    assert code == 0, err
    assert out.startswith("usage:")
    assert not err


def test_subcommand_help_says_what_it_does():
    assert "changes nothing" in run(["verify", "--help"])[0]
    assert "Job" in run(["probes", "--help"])[0]


@pytest.mark.parametrize("args", [["--bogus"], ["verify", "extra"], ["probes", "--config"], ["--config="]])
def test_usage_errors_exit_2_with_usage_on_stderr(args):
    out, err, code = run(args)
    assert code == 2
    assert out == "" and "usage:" in err
    assert_no_traceback(err)


@pytest.mark.parametrize("subcommand", [[], ["verify"], ["probes"]])
def test_invalid_utf8_is_an_error_not_a_traceback(subcommand):
    out, err, code = run(subcommand, b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff}\n")
    assert code == 1
    assert "not valid UTF-8" in err or "not valid UTF-8" in out
    assert_no_traceback(err)


@pytest.mark.parametrize("subcommand", [[], ["verify"], ["probes"]])
def test_a_missing_config_file_is_an_error_naming_it(subcommand, tmp_path):
    missing = tmp_path / "nope.yaml"
    out, err, code = run([*subcommand, "--config", str(missing)], STREAM)
    assert code == 1
    assert f"cannot read the config file {missing}: No such file or directory" in err
    assert out == ""
    assert_no_traceback(err)


@pytest.mark.parametrize("subcommand", [[], ["probes"]])
def test_a_directory_as_config_is_an_error(subcommand, tmp_path):
    out, err, code = run([*subcommand, f"--config={tmp_path}"], STREAM)
    assert code == 1
    assert "Is a directory" in err
    assert out == ""
    assert_no_traceback(err)


def test_probes_takes_config_equals_file(tmp_path):
    config = tmp_path / "fn.yaml"
    config.write_text("apiVersion: fn.pipelock.dev/v1alpha1\nkind: CompanionProxy\nmetadata: {name: fn}\n"
                      "spec:\n  probes: {image: registry.example/curl:8.11.1}\n")
    out, err, code = run(["probes", f"--config={config}"], STREAM)
    assert code == 0, err
    assert "image: registry.example/curl:8.11.1" in out


def test_probes_input_is_held_to_the_input_limit():
    code = ("import sys, pipelock_companion.krm.reader as r; r.limits.MAX_INPUT_BYTES = 100\n"
            "from pipelock_companion.cli import main\nsys.argv[1:] = ['probes']\nmain()\n")
    python = os.path.join(os.path.dirname(function_command()), "python")
    proc = subprocess.run([python, "-c", code], input=STREAM, capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert b"more than the limit of 100" in proc.stderr
    assert proc.stdout == b""


def test_a_closed_stdout_ends_quietly():
    """`pipelock-companion ... | head -c 10`: no BrokenPipeError traceback."""
    big = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + AGENT_ITEM
           + "".join(f"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: c{i}}}\n  data: {{k: v}}\n"
                     for i in range(20000))).encode()
    proc = subprocess.run(f"'{function_command()}' | head -c 10", shell=True, input=big, capture_output=True,
                          timeout=120)
    assert len(proc.stdout) == 10
    assert b"Traceback" not in proc.stderr and b"BrokenPipe" not in proc.stderr, proc.stderr[-2000:]


def test_an_unwritable_stdout_is_one_line_and_exit_1():
    """A full disk: one line on stderr, exit 1, no traceback."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([function_command()], input=RESOURCE_LIST, stdout=full,
                              stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == b"pipelock-companion: cannot write the output: No space left on device\n"


def test_verify_and_probes_read_a_resource_list_too():
    out, err, code = run(["probes"], RESOURCE_LIST)
    assert code == 0, err
    assert "kind: Job" in out and "apiVersion: config.kubernetes.io/v1" not in out
    out, err, code = run(["verify"], RESOURCE_LIST)
    assert code == 1  # the agent is opted in but not managed yet
    assert "is selected (pipelock.dev/inject) but not managed" in err
