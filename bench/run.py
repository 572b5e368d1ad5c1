"""Benchmark: pipelock-companion against the PyYAML floor, issue 17's targets as same-run ratios.

    make bench                           # the function installed (not editable) in .venv-bench, then this
    python bench/run.py                  # the default report: about 4 minutes on 2 shared cores
    python bench/run.py --large          # also 100,000 items (96 MiB): about 8 minutes more
    python bench/run.py --quick          # fewer repetitions; 100 and 1,000 items only
    python bench/run.py --policy-heavy   # only the 1,000 agents x 1,000 policies figure
    python bench/run.py --cold           # only the cold-start figures

Not a test: it prints figures, ratios and PASS/FAIL per target, and always
exits 0. Every figure is a separate process, as kpt runs the function;
commands compared with each other run interleaved (ours, floor, ours,
floor, ...), so a load change on the shared machine hits both alike. The
verdicts use CPU time (user + system, from wait4), which other processes
on the machine disturb far less than wall time; wall times are printed
beside them. Peak RSS is read with GNU time (see _gnu_time).

Run it with the interpreter the function is installed in: the function is
the `pipelock-companion` next to sys.executable, and the floor and the
baseline run on that same interpreter. Measure an installed package, not
an editable one: the editable finder adds its own imports to every start.
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
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import inputs  # noqa: E402  (bench/inputs.py: the ResourceList generator)

SIZES = (100, 1_000, 10_000)
LARGE = 100_000
REPS = {100: 9, 1_000: 7, 10_000: 5, LARGE: 3}
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
STAGES = [PYTHON, os.path.join(HERE, "stages.py")]

# Children get compiled bytecode, as an installed package has: with
# PYTHONDONTWRITEBYTECODE set (as in some dev shells) every run would
# compile the modules changed since their last .pyc, which costs time and
# peak memory a real installation never pays. One warm-up run writes them.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

# Issue 17's targets.
TARGET_10K = 0.15          # 10,000 items: CPU <= 0.15x the floor's
TARGET_100K = 0.2          # 100,000 items: <= 0.2x the floor's
TARGET_10K_TO_100K = 11    # ten times the items: at most 11 times the CPU
TARGET_COLD = 1.5          # cold start with a functionConfig: <= 1.5x `python -c "import yaml"`
TARGET_RSS = 4             # peak RSS <= 4x the input + the bare interpreter's
TARGET_ALL_SELECTED = 5    # every workload selected (21x the agents): <= 5x the 1%-selected run
TARGET_PER_AGENT = 1.5     # the cost of an agent at 2,100 agents <= 1.5x its cost at 210
CONTAINERS = (4_000, 32_000)  # one workload patched: 8x the containers, <= 8.8x the CPU


def _gnu_time():
    """GNU time, to read a child's peak RSS. wait4's ru_maxrss would not do:
    subprocess starts children with vfork, and the kernel counts the
    parent's own peak RSS (this script's, with the input in memory) into
    the child's when it execs. Exec'd from GNU time, the child's peak is
    its own."""
    path = shutil.which("time") or "/usr/bin/time"
    try:
        ok = subprocess.run([path, "-f", "%M", "-o", os.devnull, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if ok.returncode == 0 else None


GNU_TIME = _gnu_time()


class Run:
    __slots__ = ("wall", "cpu", "rss", "code")

    def __init__(self, wall, cpu, rss, code):
        self.wall, self.cpu, self.rss, self.code = wall, cpu, rss, code


def run_once(argv, input_path):
    """One child process on input_path: wall and CPU seconds, peak RSS (bytes, or None), exit code."""
    with open(input_path, "rb") as stdin, open(os.devnull, "wb") as devnull, \
            tempfile.NamedTemporaryFile("r") as report:
        wrapped = [GNU_TIME, "-f", "%M", "-o", report.name, *argv] if GNU_TIME else argv
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdin=stdin, stdout=devnull, stderr=devnull, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's CPU, with GNU time's own (a few ms)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss = None
        if GNU_TIME:
            last = report.read().split()
            rss = int(last[-1]) * 1024 if last and last[-1].isdigit() else None
        return Run(wall, usage.ru_utime + usage.ru_stime, rss, proc.returncode)


class Figure:
    """The runs of one command: medians of wall and CPU time, the largest peak RSS."""

    def __init__(self, runs):
        self.runs = runs
        self.wall = statistics.median(r.wall for r in runs)
        self.cpu = statistics.median(r.cpu for r in runs)
        rss = [r.rss for r in runs if r.rss is not None]
        self.rss = max(rss) if rss else None


def measure(commands, input_paths, reps, expect=(0,)):
    """{name: Figure} for named argv lists, each on its input (one path for
    all, or a dict by name), run interleaved after one warm-up run each."""
    paths = input_paths if isinstance(input_paths, dict) else dict.fromkeys(commands, input_paths)
    for name, argv in commands.items():
        run_once(argv, paths[name])  # warm-up: bytecode written, files in the page cache
    runs: dict = {name: [] for name in commands}
    for _ in range(reps):
        for name, argv in commands.items():
            got = run_once(argv, paths[name])
            if got.code not in expect:
                raise SystemExit(f"{name} exited {got.code} on {paths[name]}")
            runs[name].append(got)
    return {name: Figure(r) for name, r in runs.items()}


def stages(input_path):
    """CPU seconds per step of one in-process run (bench/stages.py)."""
    with open(input_path, "rb") as stdin:
        proc = subprocess.run(STAGES, stdin=stdin, capture_output=True, env=CHILD_ENV, check=True)
    return json.loads(proc.stdout)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def mib(n):
    return f"{n / (1 << 20):.1f} MiB" if n is not None else "n/a"


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


class Report:
    def __init__(self):
        self.results = []

    def target(self, name, ok, detail):
        self.results.append((name, ok, detail))
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {detail}")


# -- the parts of the report ------------------------------------------------------

def versions():
    import yaml

    try:
        import yaml._yaml as libyaml

        libyaml_version = libyaml.get_version_string()
    except ImportError:
        libyaml_version = "NO (pure-Python fallback)"
    try:
        commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty", "--abbrev=12"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    probe = subprocess.run([PYTHON, "-c", ("import pipelock_companion, sys; print(pipelock_companion.__file__); "
                                           "print(any('__editable__' in m for m in sys.modules))")],
                           capture_output=True, text=True, env=CHILD_ENV)
    where, editable = [*probe.stdout.split("\n"), "", ""][:2]
    print(f"CPU: {cpu_name()} x {os.cpu_count()}; load average {os.getloadavg()[0]:.2f} at the start")
    print(f"Python {platform.python_version()} ({PYTHON}), PyYAML {yaml.__version__}, libyaml {libyaml_version}")
    print(f"pipelock-companion at commit {commit}, from {os.path.dirname(where)}"
          f"{' (EDITABLE: start-up figures include the editable finder)' if editable == 'True' else ''}")
    print(f"Peak RSS read with {GNU_TIME + ' -f %M' if GNU_TIME else 'nothing (no GNU time)'}; "
          "verdicts on CPU time (user + system), medians of interleaved runs")
    print()


def cold_start(tmp, reps, report):
    one = write(os.path.join(tmp, "one.yaml"), inputs.one_workload())
    one_cfg = write(os.path.join(tmp, "one-config.yaml"), inputs.one_workload(with_config=True))
    empty = write(os.path.join(tmp, "empty"), "")
    got = measure({"bare": BARE_IMPORT, "ours": [FUNCTION], "config": [FUNCTION]},
                  {"bare": empty, "ours": one, "config": one_cfg}, reps)
    bare = got["bare"]
    print(f"Cold start: one agent workload (median of {reps}, interleaved)")
    print(f"  {'':40} {'CPU':>9} {'x bare':>7} {'wall':>9} {'x bare':>7} {'peak RSS':>10}")
    for name, label in (("bare", "python -c 'import yaml'"), ("ours", "ours, no functionConfig"),
                        ("config", "ours, CompanionProxy functionConfig")):
        f = got[name]
        print(f"  {label:40} {ms(f.cpu):>9} {f.cpu / bare.cpu:7.2f} {ms(f.wall):>9} {f.wall / bare.wall:7.2f} "
              f"{mib(f.rss):>10}")
    report.target(f"cold start with a functionConfig <= {TARGET_COLD}x import yaml",
                  got["config"].cpu <= TARGET_COLD * bare.cpu,
                  f"{got['config'].cpu / bare.cpu:.2f}x CPU ({got['config'].wall / bare.wall:.2f}x wall)")
    report.target(f"cold start without one <= {TARGET_COLD}x import yaml", got["ours"].cpu <= TARGET_COLD * bare.cpu,
                  f"{got['ours'].cpu / bare.cpu:.2f}x CPU ({got['ours'].wall / bare.wall:.2f}x wall)")
    print()
    return bare


def scale(tmp, sizes, reps, bare, report):
    print("Scale: 1% of the items are agent workloads (CPU and wall: medians; peak RSS: the largest)")
    print(f"  {'items':>7} {'input':>10} {'ours CPU':>10} {'floor CPU':>10} {'ours/floor':>10} {'wall ratio':>10} "
          f"{'ours RSS':>10} {'floor RSS':>10} {'reps':>4}")
    rows, paths, growth = {}, {}, None
    for n in sizes:
        path = paths[n] = write(os.path.join(tmp, f"rl-{n}.yaml"), inputs.resource_list(n))
        size = os.path.getsize(path)
        commands, inputs_ = {"ours": [FUNCTION], "floor": FLOOR}, {"ours": path, "floor": path}
        if n == LARGE and 10_000 in paths:  # the growth from 10,000 items, from runs interleaved with these
            commands["ours at 10,000"], inputs_["ours at 10,000"] = [FUNCTION], paths[10_000]
        got = measure(commands, inputs_, reps(n))
        ours, floor = got["ours"], got["floor"]
        if "ours at 10,000" in got:
            growth = ours.cpu / got["ours at 10,000"].cpu
        rows[n] = (size, ours, floor)
        print(f"  {n:>7,} {mib(size):>10} {ms(ours.cpu):>10} {ms(floor.cpu):>10} {ours.cpu / floor.cpu:10.3f} "
              f"{ours.wall / floor.wall:10.3f} {mib(ours.rss):>10} {mib(floor.rss):>10} {reps(n):>4}")
    if 10_000 in rows:
        _, ours, floor = rows[10_000]
        report.target(f"10,000 items <= {TARGET_10K}x the floor", ours.cpu <= TARGET_10K * floor.cpu,
                      f"{ours.cpu / floor.cpu:.3f}x ({ms(ours.cpu)} vs {ms(floor.cpu)} CPU)")
    if LARGE in rows:
        _, ours, floor = rows[LARGE]
        report.target(f"100,000 items <= {TARGET_100K}x the floor", ours.cpu <= TARGET_100K * floor.cpu,
                      f"{ours.cpu / floor.cpu:.3f}x ({ms(ours.cpu)} vs {ms(floor.cpu)} CPU)")
        if growth is not None:
            report.target(f"10,000 -> 100,000 items <= {TARGET_10K_TO_100K}x the CPU", growth <= TARGET_10K_TO_100K,
                          f"{growth:.1f}x (runs at 10,000 items interleaved with those at 100,000)")
    for n in (10_000, LARGE):
        if n in rows and bare.rss is not None and rows[n][1].rss is not None:
            size, ours, _ = rows[n]
            allowed = TARGET_RSS * size + bare.rss
            report.target(f"{n:,} items: peak RSS <= {TARGET_RSS}x the input + the bare interpreter",
                          ours.rss <= allowed, f"{mib(ours.rss)} vs {mib(allowed)} "
                                               f"({(ours.rss - bare.rss) / size:.2f}x the input above it)")
    print()
    return rows


def agents(tmp, reps, report):
    """Every workload selected: 21x the agents of the 1% input, same items."""
    paths, counts = {}, {}
    for n in (1_000, 10_000):
        for name, text in ((f"{n} 1%", inputs.resource_list(n)), (f"{n} all", inputs.resource_list(n, True))):
            paths[name] = write(os.path.join(tmp, f"agents-{len(paths)}.yaml"), text)
            counts[name] = text.count("pipelock.dev/inject")
    got = measure({name: [FUNCTION] for name in paths}, paths, reps)
    print(f"Agents: every Deployment selected (median of {reps}, interleaved)")
    for name in paths:
        print(f"  {name:>10} items: {counts[name]:>5,} agents  {ms(got[name].cpu):>9} CPU  "
              f"{ms(got[name].wall):>9} wall  peak RSS {mib(got[name].rss)}")
    some, everything = got["10000 1%"], got["10000 all"]
    report.target(f"10,000 items, every workload selected <= {TARGET_ALL_SELECTED}x the 1%-selected run",
                  everything.cpu <= TARGET_ALL_SELECTED * some.cpu,
                  f"{everything.cpu / some.cpu:.2f}x ({counts['10000 all']:,} vs {counts['10000 1%']} agents)")
    small = (got["1000 all"].cpu - got["1000 1%"].cpu) / (counts["1000 all"] - counts["1000 1%"])
    large = (everything.cpu - some.cpu) / (counts["10000 all"] - counts["10000 1%"])
    report.target(f"linear in the agents: an agent's cost at {counts['10000 all']:,} agents <= "
                  f"{TARGET_PER_AGENT}x its cost at {counts['1000 all']}", large <= TARGET_PER_AGENT * small,
                  f"{large * 1000:.2f} vs {small * 1000:.2f} ms CPU an agent ({large / small:.2f}x)")
    print()


def containers(tmp, reps, report):
    """One workload with many containers: patching it is linear in its size (issue 10, item 12)."""
    paths = {n: write(os.path.join(tmp, f"containers-{n}.yaml"), inputs.many_containers(n)) for n in CONTAINERS}
    got = measure({n: [FUNCTION] for n in CONTAINERS}, paths, reps)
    small, large = CONTAINERS
    growth = got[large].cpu / got[small].cpu
    print(f"One workload with {small:,} and {large:,} containers: {ms(got[small].cpu)} and {ms(got[large].cpu)} CPU "
          f"(median of {reps}); peak RSS {mib(got[small].rss)} and {mib(got[large].rss)}")
    report.target(f"patching is linear: {large // small}x the containers <= {1.1 * large / small:.1f}x the CPU",
                  growth <= 1.1 * large / small, f"{growth:.1f}x")
    print()


POLICY_HEAVY = (1_000, 1_000)
# (agents, policies): the analysis must grow with each, not with their product
POLICY_SCALING = ((250, 1_000), (500, 1_000), (1_000, 1_000), (1_000, 2_000), (1_000, 4_000))


def policy_heavy(tmp, reps, report):
    """1,000 agents and 1,000 user NetworkPolicies in one namespace (issue 17, item 2)."""
    agents_, policies = POLICY_HEAVY
    path = write(os.path.join(tmp, "policy-heavy.yaml"), inputs.policy_heavy(agents_, policies))
    size = os.path.getsize(path)
    got = measure({"ours": [FUNCTION], "floor": FLOOR}, path, reps)
    ours, floor = got["ours"].cpu, got["floor"].cpu
    steps = stages(path)
    analysis = steps["verify_boundary"] - steps["verify: compose policy items"]
    print(f"Policy-heavy: {agents_:,} agents x {policies:,} user NetworkPolicies in one namespace "
          f"({size / (1 << 20):.2f} MiB), CPU seconds, median of {reps}")
    print(f"  ours end to end {ours:7.2f} s    floor {floor:7.2f} s    ours / floor {ours / floor:5.2f}")
    print("  ours by step: " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items() if k not in ("total", "errors")
                                         and v >= 0.005))
    print(f"  the boundary analysis: {steps['verify_boundary']:.2f} s ({analysis:.2f} s analysing, "
          f"{steps['verify: compose policy items']:.2f} s composing the policy items' data)")
    print("  scaling of the boundary analysis (CPU s, composing excluded):")
    figures = {}
    for n_agents, n_policies in POLICY_SCALING:
        scaled = write(os.path.join(tmp, f"policy-heavy-{n_agents}-{n_policies}.yaml"),
                       inputs.policy_heavy(n_agents, n_policies))
        step = stages(scaled)
        figures[(n_agents, n_policies)] = step["verify_boundary"] - step["verify: compose policy items"]
        print(f"    {n_agents:>5,} agents x {n_policies:>5,} policies: {figures[(n_agents, n_policies)]:6.2f} s")
    report.target("policy-heavy: the boundary analysis <= floor", steps["verify_boundary"] <= floor,
                  f"{steps['verify_boundary']:.2f} s vs {floor:.2f} s ({steps['verify_boundary'] / floor:.2f}x)")
    report.target("policy-heavy: end to end <= floor", ours <= floor,
                  f"{ours:.2f} s vs {floor:.2f} s ({ours / floor:.2f}x)")
    by_agents = figures[(1_000, 1_000)] / figures[(250, 1_000)]
    by_policies = figures[(1_000, 4_000)] / figures[(1_000, 1_000)]
    report.target("policy-heavy: 4x the agents costs <= 5x", by_agents <= 5, f"{by_agents:.1f}x")
    report.target("policy-heavy: 4x the policies costs <= 5x", by_policies <= 5, f"{by_policies:.1f}x")
    print()


def where_the_time_goes(tmp, sizes):
    """The steps of one in-process run (bench/stages.py), CPU seconds."""
    print("Where the time goes (one in-process run each, CPU seconds; `start` is a process's imports, apart)")
    for label, text in [(f"{n:,} items, 1% agents", inputs.resource_list(n)) for n in sizes if n >= 10_000] + \
            [("10,000 items, every Deployment", inputs.resource_list(10_000, all_selected=True))]:
        steps = stages(write(os.path.join(tmp, "stages.yaml"), text))
        shown = {k: v for k, v in steps.items() if k not in ("total", "errors") and v >= 0.005}
        print(f"  {label}: total {steps['total']:.2f}: " + ", ".join(f"{k} {v:.2f}" for k, v in shown.items()))
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 1,000, three repetitions, no agents "
                                                            "or policy-heavy figures")
    parser.add_argument("--large", action="store_true", help="also 100,000 items (about 8 minutes more)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="comma-separated item counts")
    parser.add_argument("--policy-heavy", action="store_true",
                        help="only the figure for 1,000 agents and 1,000 user policies in one namespace")
    parser.add_argument("--cold", action="store_true", help="only the cold-start figures")
    args = parser.parse_args(argv)
    sizes = args.sizes or ((100, 1_000) if args.quick else SIZES + ((LARGE,) if args.large else ()))
    reps = (lambda _: 3) if args.quick else (lambda n: REPS.get(n, 3))

    if not os.path.exists(FUNCTION):
        raise SystemExit(f"{FUNCTION} not found: run with the interpreter pipelock-companion is installed in")
    started = time.perf_counter()
    versions()
    report = Report()
    with tempfile.TemporaryDirectory(prefix="pipelock-bench-") as tmp:
        if args.policy_heavy:
            policy_heavy(tmp, 3, report)
        elif args.cold:
            cold_start(tmp, COLD_REPS, report)
        else:
            bare = cold_start(tmp, 5 if args.quick else COLD_REPS, report)
            scale(tmp, sizes, reps, bare, report)
            if not args.quick:
                agents(tmp, 3, report)
                containers(tmp, 3, report)
                policy_heavy(tmp, 5, report)
                where_the_time_goes(tmp, sizes)
    failed = [name for name, ok, _ in report.results if not ok]
    print(f"Targets: {len(report.results) - len(failed)} of {len(report.results)} met"
          + (f"; not met: {'; '.join(failed)}" if failed else "")
          + f". The benchmark took {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
