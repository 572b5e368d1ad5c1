"""The test cases (tests/cases/<case>/): kpt packages in the catalog's layout,
without a README, run by the real kpt through the golden harness
(tests/kpt_packages.py): `kpt fn render` twice, the first run must give
.expected, the second must change nothing. They do not run the other way
(`kpt fn eval`): the examples check that both ways agree, for both forms of
config, and a third run of every case would add about 20 s of one core for
no new path through the function.
"""

import os

import pytest

from kpt_packages import CASES, check_layout, check_runs, config, packages, params

FOLDERS = packages(CASES)


def test_every_case_is_a_render_package():
    assert len(FOLDERS) >= 30
    assert all(config(f).get("testType", "render") == "render" for f in FOLDERS)
    assert not any(os.path.exists(os.path.join(f, "README.md")) for f in FOLDERS), "a README makes it an example"


@pytest.mark.parametrize("folder", params(FOLDERS))
def test_case_layout(folder):
    check_layout(folder)


@pytest.mark.parametrize("folder", params(FOLDERS, known_bugs=True))
def test_case(folder, tmp_path):
    check_runs(folder, tmp_path)
