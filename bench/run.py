"""Benchmark: pipelock-companion against the PyYAML floor, at 100 / 1,000 / 10,000 items.

    python bench/run.py              # the full report (a few minutes on 2 cores)
    python bench/run.py --quick      # fewer repetitions, sizes 100 and 1,000 only
    python bench/run.py --policy-heavy   # only the 1,000 agents x 1,000 policies figure

Not a test: it prints figures, ratios and PASS/FAIL per target, and exits 0.
Every measurement is a separate process (as kpt runs the function), timed by
wall clock around the child; the figure is the median of several runs.
Peak memory is the child's ru_maxrss, read with os.wait4.

Run it with the interpreter the function is installed in (`.venv/bin/python
bench/run.py`): the function is the `pipelock-companion` next to
sys.executable, and the floor and baselines run on the same interpreter.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import inputs  # noqa: E402  (bench/inputs.py: the ResourceList generator)

SIZES = (100, 1_000, 10_000)
REPS = {100: 9, 1_000: 7, 10_000: 5}
COLD_REPS = 15

FUNCTION = os.path.join(os.path.dirname(sys.executable), "pipelock-companion")
PYTHON = sys.executable

# The floor: load and dump the same ResourceList with PyYAML's C classes, nothing else.
FLOOR = [PYTHON, "-c", (
    "import sys, yaml\n"
    "data = yaml.load(sys.stdin.buffer.read(), Loader=yaml.CSafeLoader)\n"
    "sys.stdout.write(yaml.dump(data, Dumper=yaml.CSafeDumper))\n"
)]
BARE_IMPORT = [PYTHON, "-c", "import yaml"]

# Children get compiled bytecode, as an installed package has: with
# PYTHONDONTWRITEBYTECODE set (as in some dev shells) every run would
# compile the modules changed since their last .pyc, which costs time and
# peak memory a real installation never pays. One warm-up run writes them.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _gnu_time():
    """GNU time, to read a child's peak RSS. wait4's ru_maxrss would not do:
    subprocess starts children with vfork, and the kernel counts the
    parent's own peak RSS (this script's, with the input in memory) into
    the child's when it execs."""
    path = shutil.which("time") or "/usr/bin/time"
    try:
        ok = subprocess.run([path, "-f", "%M", "-o", os.devnull, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if ok.returncode == 0 else None


GNU_TIME = _gnu_time()


def run_once(argv, input_path):
    """(wall seconds, exit code) of one child process."""
    with open(input_path, "rb") as stdin, open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        proc = subprocess.run(argv, stdin=stdin, stdout=devnull, stderr=devnull, env=CHILD_ENV)
        return time.perf_counter() - start, proc.returncode


def peak_rss(argv, input_path):
    """Peak RSS in bytes of one run of argv (see _gnu_time)."""
    with open(input_path, "rb") as stdin, open(os.devnull, "wb") as devnull:
        if GNU_TIME:
            with tempfile.NamedTemporaryFile("r") as report:
                subprocess.run([GNU_TIME, "-f", "%M", "-o", report.name, *argv], stdin=stdin, stdout=devnull,
                               stderr=devnull, env=CHILD_ENV)
                return int(report.read().split()[-1]) * 1024
        proc = subprocess.Popen(argv, stdin=stdin, stdout=devnull, stderr=devnull, env=CHILD_ENV)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        return usage.ru_maxrss * 1024  # may include this script's own peak (see _gnu_time)


def measure(commands, input_path, reps, expect=(0,)):
    """{name: (median seconds, peak RSS bytes)} for named argv lists run on
    the same input. Runs are interleaved (a, b, c, a, b, c, ...), so a load
    change on the machine hits every command alike."""
    times = {name: [] for name in commands}
    for _ in range(reps):
        for name, argv in commands.items():
            elapsed, code = run_once(argv, input_path)
            if code not in expect:
                raise SystemExit(f"{name} exited {code} on {input_path}")
            times[name].append(elapsed)
    return {name: (statistics.median(times[name]), peak_rss(argv, input_path)) for name, argv in commands.items()}


def cpu_once(argv, input_path):
    """(CPU seconds, user + system, exit code) of one child process."""
    with open(input_path, "rb") as stdin, open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(argv, stdin=stdin, stdout=devnull, stderr=devnull, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return usage.ru_utime + usage.ru_stime, proc.returncode


STAGES = [PYTHON, os.path.join(HERE, "stages.py")]
POLICY_HEAVY = (1_000, 1_000)
# (agents, policies): the analysis must grow with each, not with their product
POLICY_SCALING = ((250, 1_000), (500, 1_000), (1_000, 1_000), (1_000, 2_000), (1_000, 4_000))


def stages(input_path):
    """CPU seconds per step of one in-process run (bench/stages.py)."""
    with open(input_path, "rb") as stdin:
        proc = subprocess.run(STAGES, stdin=stdin, capture_output=True, env=CHILD_ENV, check=True)
    return json.loads(proc.stdout)


def policy_heavy(tmp, reps, target):
    """1,000 agents and 1,000 user NetworkPolicies in one namespace (issue 17, item 2)."""
    agents, policies = POLICY_HEAVY
    path = os.path.join(tmp, "policy-heavy.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(inputs.policy_heavy(agents, policies))
    size = os.path.getsize(path)
    cpu: dict = {"ours": [], "floor": []}
    for argv in ([FUNCTION], FLOOR):  # warm-up
        cpu_once(argv, path)
    for _ in range(reps):
        for name, argv in (("ours", [FUNCTION]), ("floor", FLOOR)):
            seconds, code = cpu_once(argv, path)
            if code != 0:
                raise SystemExit(f"{name} exited {code} on the policy-heavy input")
            cpu[name].append(seconds)
    ours, floor = statistics.median(cpu["ours"]), statistics.median(cpu["floor"])
    steps = stages(path)
    analysis = steps["verify_boundary"] - steps["verify: compose policy items"]
    print(f"Policy-heavy: {agents:,} agents x {policies:,} user NetworkPolicies in one namespace "
          f"({size / (1 << 20):.2f} MiB), CPU seconds, median of {reps}")
    print(f"  ours end to end {ours:7.2f} s    floor {floor:7.2f} s    ours / floor {ours / floor:5.2f}")
    print("  ours by step: " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items() if k not in ("total", "errors")
                                         and v >= 0.005))
    print(f"  the boundary analysis: {steps['verify_boundary']:.2f} s ({analysis:.2f} s analysing, "
          f"{steps['verify: compose policy items']:.2f} s composing the policy items' data)")
    print("  scaling of the boundary analysis (CPU s, composing excluded):")
    figures = {}
    for n_agents, n_policies in POLICY_SCALING:
        scaled = os.path.join(tmp, f"policy-heavy-{n_agents}-{n_policies}.yaml")
        with open(scaled, "w", encoding="utf-8") as f:
            f.write(inputs.policy_heavy(n_agents, n_policies))
        got = stages(scaled)
        figures[(n_agents, n_policies)] = got["verify_boundary"] - got["verify: compose policy items"]
        print(f"    {n_agents:>5,} agents x {n_policies:>5,} policies: {figures[(n_agents, n_policies)]:6.2f} s")
    target("policy-heavy: the boundary analysis <= floor", steps["verify_boundary"] <= floor,
           f"{steps['verify_boundary']:.2f} s vs {floor:.2f} s ({steps['verify_boundary'] / floor:.2f}x)")
    target("policy-heavy: end to end <= floor", ours <= floor, f"{ours:.2f} s vs {floor:.2f} s ({ours / floor:.2f}x)")
    by_agents = figures[(1_000, 1_000)] / figures[(250, 1_000)]
    by_policies = figures[(1_000, 4_000)] / figures[(1_000, 1_000)]
    target("policy-heavy: 4x the agents costs <= 5x", by_agents <= 5, f"{by_agents:.1f}x")
    target("policy-heavy: 4x the policies costs <= 5x", by_policies <= 5, f"{by_policies:.1f}x")
    print()


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def mib(n):
    return f"{n / (1 << 20):7.1f} MiB"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 1,000, three repetitions")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="comma-separated item counts")
    parser.add_argument("--policy-heavy", action="store_true",
                        help="only the figure for 1,000 agents and 1,000 user policies in one namespace")
    args = parser.parse_args(argv)
    sizes = args.sizes or ((100, 1_000) if args.quick else SIZES)
    reps = (lambda _: 3) if args.quick else (lambda n: REPS.get(n, 5))
    cold_reps = 5 if args.quick else COLD_REPS

    if not os.path.exists(FUNCTION):
        raise SystemExit(f"{FUNCTION} not found: run with the interpreter pipelock-companion is installed in")
    import yaml

    print(f"CPU: {cpu_name()} x {os.cpu_count()}")
    print(f"Python {platform.python_version()} ({PYTHON}), PyYAML {yaml.__version__}, "
          f"libyaml {'yes' if yaml.__with_libyaml__ else 'NO (pure-Python fallback)'}")
    print(f"Peak RSS read with {GNU_TIME + ' -f %M' if GNU_TIME else 'wait4 (no GNU time: may include this script)'}; "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    print()

    failures = []

    def target(name, ok, detail):
        print(f"  [{verdict(ok)}] {name}: {detail}")
        if not ok:
            failures.append(name)

    if args.policy_heavy:
        with tempfile.TemporaryDirectory(prefix="pipelock-bench-") as tmp:
            policy_heavy(tmp, 3, target)
        print(f"{len(failures)} target(s) failed" + (": " + "; ".join(failures) if failures else ""))
        return 0

    with tempfile.TemporaryDirectory(prefix="pipelock-bench-") as tmp:
        policy_heavy(tmp, 3 if args.quick else 5, target)
        # -- baseline and cold start -------------------------------------
        one = os.path.join(tmp, "one.yaml")
        with open(one, "w", encoding="utf-8") as f:
            f.write(inputs.one_workload())
        one_cfg = os.path.join(tmp, "one-config.yaml")
        with open(one_cfg, "w", encoding="utf-8") as f:
            f.write(inputs.one_workload(with_config=True))
        empty = os.path.join(tmp, "empty")
        open(empty, "wb").close()

        for argv, path in ((BARE_IMPORT, empty), ([FUNCTION], one), ([FUNCTION], one_cfg), (FLOOR, one)):
            run_once(argv, path)  # warm-up: bytecode written, files in the page cache
        bare_rss = peak_rss(BARE_IMPORT, empty)
        cold = {}
        for _ in range(cold_reps):  # interleaved, so a load change on the machine hits all three alike
            cold.setdefault("ours", []).append(run_once([FUNCTION], one))
            cold.setdefault("config", []).append(run_once([FUNCTION], one_cfg))
            cold.setdefault("bare", []).append(run_once(BARE_IMPORT, empty))
        if any(code for runs in cold.values() for _, code in runs):
            raise SystemExit("a cold-start run failed")
        bare_s, cold_s, cold_cfg_s = (statistics.median(t for t, _ in cold[k]) for k in ("bare", "ours", "config"))
        cold_rss, cold_cfg_rss = peak_rss([FUNCTION], one), peak_rss([FUNCTION], one_cfg)
        print(f"Cold start (median of {cold_reps})")
        print(f"  python -c 'import yaml'                 {bare_s * 1000:8.1f} ms   RSS {mib(bare_rss)}")
        print(f"  ours, one workload, no functionConfig   {cold_s * 1000:8.1f} ms   {cold_s / bare_s:5.2f}x bare import"
              f"   RSS {mib(cold_rss)}")
        print(f"  ours, one workload, CompanionProxy cfg  {cold_cfg_s * 1000:8.1f} ms"
              f"   {cold_cfg_s / bare_s:5.2f}x bare import"
              f"   RSS {mib(cold_cfg_rss)}  (imports jsonschema)")
        print()

        # -- scale ----------------------------------------------------------
        rows = {}
        print(f"{'items':>7} {'input':>11} {'ours':>10} {'floor':>10} {'ours/floor':>10} "
              f"{'ours peak RSS':>14} {'floor peak RSS':>15} {'reps':>5}")
        for n in sizes:
            path = os.path.join(tmp, f"rl-{n}.yaml")
            text = inputs.resource_list(n)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            size = os.path.getsize(path)
            r = reps(n)
            got = measure({"ours": [FUNCTION], "floor": FLOOR}, path, r)
            (ours_s, ours_rss), (floor_s, floor_rss) = got["ours"], got["floor"]
            rows[n] = (size, ours_s, floor_s, ours_rss, floor_rss)
            print(f"{n:>7} {size / (1 << 20):>7.2f} MiB {ours_s * 1000:>7.0f} ms {floor_s * 1000:>7.0f} ms "
                  f"{ours_s / floor_s:>10.3f} {mib(ours_rss):>14} {mib(floor_rss):>15} {r:>5}")
        print()

        # -- targets ----------------------------------------------------------
        print("Targets")
        if 10_000 in rows:
            size, ours_s, floor_s, _, _ = rows[10_000]
            target("10,000 items: ours <= floor", ours_s <= floor_s,
                   f"{ours_s * 1000:.0f} ms vs {floor_s * 1000:.0f} ms ({ours_s / floor_s:.3f}x)")
        if 10_000 in rows and 100 in rows:
            ratio = rows[10_000][1] / rows[100][1]
            target("10,000 items <= 110x the time of 100", ratio <= 110, f"{ratio:.1f}x")
        target("cold start <= 3x bare import (no functionConfig)", cold_s <= 3 * bare_s,
               f"{cold_s / bare_s:.2f}x")
        target("cold start <= 3x bare import (CompanionProxy functionConfig)", cold_cfg_s <= 3 * bare_s,
               f"{cold_cfg_s / bare_s:.2f}x")
        for n, (size, _, _, ours_rss, _) in rows.items():
            allowed = 4 * size + bare_rss
            target(f"{n:,} items: peak RSS <= 4x input + baseline", ours_rss <= allowed,
                   f"{mib(ours_rss).strip()} vs {mib(allowed).strip()} "
                   f"(peak - baseline = {(ours_rss - bare_rss) / size:.2f}x input; "
                   f"peak - our own one-workload RSS = {(ours_rss - cold_rss) / size:.2f}x input)")
    print()
    print(f"{len(failures)} target(s) failed" + (": " + "; ".join(failures) if failures else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
