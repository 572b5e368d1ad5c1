"""Every object the function writes, checked against Kubernetes' own OpenAPI
schemas (kubernetes-validate, strict: unknown fields are errors, as
`kubectl apply --validate=strict` has them): the companions and the patched
workloads of every example and test case that succeeds — each object of the
package after the run that is not, unchanged, one of its inputs (those are
the user's: tests/cases/tricky-scalars keeps an invalid one on purpose).
Our own schema of what we generate would only agree with our own code.

Kinds without a schema there (Argo Rollouts, Calico, Cilium: custom
resources) are skipped by name, and the kinds of the six companions must
all have been checked, so a library that knows nothing cannot pass."""

import collections
import os
import re

import kubernetes_validate
import pytest
import yaml

from kpt_packages import CASES, EXAMPLES, ROOT, config, expected_resources, input_resources, packages

# The oldest Kubernetes the packages' own inputs suit (native sidecars,
# `restartPolicy: Always` on an init container, are on by default since
# 1.29), and the newest the library has schemas for.
VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
CUSTOM_KINDS = {("argoproj.io/v1alpha1", "Rollout")}
COMPANION_KINDS = {"ConfigMap", "Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget"}


class Yaml12Loader(yaml.SafeLoader):
    """The YAML 1.2 core schema, as the function reads (and the test cases
    mean) plain scalars: `on`, `yes` and `2026-01-01` are strings, `0o17` an
    int. Independent of the function's own reader."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 - PyYAML's per-class table


for _tag, _pattern, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", (r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), "-+.0123456789"),
):
    Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _succeeding(parent):
    return [folder for folder in packages(parent) if config(folder).get("exitCode", 0) == 0]


FOLDERS = _succeeding(EXAMPLES) + _succeeding(CASES)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("folder", FOLDERS, ids=[os.path.relpath(f, ROOT) for f in FOLDERS])
def test_every_object_is_valid_kubernetes(folder, version, tmp_path):
    checked = collections.Counter()
    problems = []
    for name, obj in _written(folder, tmp_path):
        key = (obj.get("apiVersion"), obj.get("kind"))
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            if key not in CUSTOM_KINDS and not str(key[0]).endswith(("projectcalico.org/v3", "cilium.io/v2")):
                problems.append(f"{name}: {key[0]} {key[1]}: no schema, and not a known custom resource")
            continue
        except kubernetes_validate.ValidationError as err:
            where = "/".join(str(p) for p in err.path)
            problems.append(f"{name}: {key[1]} {obj['metadata'].get('name')}: {where}: {err.message}")
            continue
        checked[key[1]] += 1
    assert not problems, "\n".join(problems)
    assert checked, "no object of the package was checked"


def _written(folder, tmp_path):
    """(file name, object) for what the run wrote or changed."""
    inputs = [obj for _, obj in input_resources(folder, Yaml12Loader)]
    return [(name, obj) for name, obj in expected_resources(folder, str(tmp_path), Yaml12Loader)
            if obj not in inputs]


def test_the_companions_are_checked_at_all(tmp_path):
    # The generated kinds all have schemas: a library that skipped them
    # would make the test above pass on nothing.
    seen = set()
    for folder in FOLDERS:
        for _, obj in _written(folder, tmp_path / os.path.basename(folder)):
            try:
                kubernetes_validate.validate(obj, VERSIONS[0], strict=True)
            except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.ValidationError):
                continue
            seen.add(obj["kind"])
    assert seen >= COMPANION_KINDS


def test_a_wrong_field_is_caught():
    # The oracle itself: strict mode refuses a field Kubernetes does not have.
    wrong = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "x"},
             "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egres": []}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, VERSIONS[0], strict=True)
