"""The benchmark still runs: `bench/run.py --quick` end to end on the function
installed in this interpreter's environment. Its verdicts are not asserted
(speed is measured by `make bench`, never by a test that fails on a slow
machine); that it measures, and reports every target it measured, is."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_quick_report_measures_and_reports_every_target():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"), "--quick"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert re.search(r"^Python \S+ .*PyYAML \S+, libyaml \S+$", out, re.M), out
    verdicts = re.findall(r"^  \[(PASS|FAIL)\] (.+?): ", out, re.M)
    assert [name for _, name in verdicts] == [
        "cold start with a functionConfig <= 1.5x import yaml",
        "cold start without one <= 1.5x import yaml",
    ], out
    for items in ("100", "1,000"):
        row = re.search(rf"^ +{items} +[\d.]+ MiB +([\d,]+) ms +([\d,]+) ms +([\d.]+) ", out, re.M)
        assert row, out
        ours, floor, ratio = (float(x.replace(",", "")) for x in row.groups())
        assert ours > 0 and floor > 0 and abs(ratio - ours / floor) < 0.02, row.group(0)
    met = re.search(r"^Targets: (\d+) of (\d+) met", out, re.M)
    assert met and int(met.group(2)) == len(verdicts), out
    assert int(met.group(1)) == sum(v == "PASS" for v, _ in verdicts)
