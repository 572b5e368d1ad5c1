"""The generated objects, checked by a Kubernetes security scanner.

checkov (pinned in requirements/checkov.txt, in its own virtualenv: `make
checkov`) runs its kubernetes framework once, over one file: every object
the function generates in the kpt packages that run without error
(tests/cases/ and examples/, as their .expected/diff.patch leaves them:
proxy Deployment, Service, ConfigMap, NetworkPolicies, PDB, probe Job and
ConfigMap), plus, for `hardened-agent`, the patched workload itself. That
workload went in with nothing for checkov to object to, so any finding on
it is one our patch (trust init container, env, mounts) brought. Each
object's name is prefixed with its case, so checkov keeps them apart.

A finding fails the test unless JUSTIFIED lists its check for that object,
with the reason the README gives ("What security scanners say"). The
digest-pinned `hardened-agent` case must come out with no finding at all,
which shows that the one fix the README offers for the image findings works.
"""

import json
import os
import subprocess

import pytest
import yaml

from kpt_packages import CASES, EXAMPLES, ROOT, config, expected_resources, packages

CLEAN_CASE = "hardened-agent"
SEPARATOR = "--"
MANAGED_BY = "pipelock-companion"


def _containers(obj):
    spec = (obj.get("spec") or {})
    spec = (spec.get("jobTemplate") or {}).get("spec", spec)
    pod = ((spec.get("template") or {}).get("spec")) or {}
    return (pod.get("initContainers") or []) + (pod.get("containers") or [])


def _tag_pinned_image(obj):
    return any("@" not in c.get("image", "") for c in _containers(obj))


def _without_namespace(obj):
    return not obj["metadata"].get("namespace")


# check -> (which objects it may fail on, the README's reason: section "What security scanners say")
JUSTIFIED = {
    "CKV_K8S_43": (_tag_pinned_image, (
        "Image should use digest: the defaults are pinned by tag (Pipelock publishes no digests); pin "
        "spec.image, spec.probes.image and spec.tls.trustImage by digest and the finding goes")),
    "CKV_K8S_15": (_tag_pinned_image, (
        "Image Pull Policy should be Always: IfNotPresent, as upstream's init sidecar requires; Always "
        "makes every proxy restart depend on the registry. checkov passes it for digest-pinned images")),
    "CKV_K8S_21": (_without_namespace, (
        "The default namespace should not be used: a workload without a namespace gets companions "
        "without one, for kpt, kustomize or Helm to set")),
}


def _checkov():
    """checkov from its own virtualenv (`make checkov`; PIPELOCK_CHECKOV names
    another): its pins cannot share the test extra's environment."""
    found = os.environ.get("PIPELOCK_CHECKOV") or os.path.join(ROOT, ".venv-checkov", "bin", "checkov")
    if not os.path.exists(found):
        pytest.fail(f"checkov is not installed at {found}: run `make checkov` (requirements/checkov.txt)")
    return found


def _cases(workdir):
    """Each package that runs without error, and the objects it holds after its run."""
    for folder in packages(CASES) + packages(EXAMPLES):
        if config(folder).get("exitCode", 0) == 0:
            yield os.path.basename(folder), [obj for _, obj in expected_resources(folder, workdir)]


def _generated(items):
    return [i for i in items if isinstance(i, dict)
            and ((i.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/managed-by") == MANAGED_BY]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    objects = {}
    for case, items in _cases(tmp_path_factory.mktemp("packages")):
        chosen = items if case == CLEAN_CASE else _generated(items)
        for obj in chosen:
            obj["metadata"]["name"] = f"{case}{SEPARATOR}{obj['metadata']['name']}"
            key = (obj["kind"], obj["metadata"].get("namespace") or "default", obj["metadata"]["name"])
            assert key not in objects, key
            objects[key] = obj
    path = tmp_path_factory.mktemp("checkov") / "generated.yaml"
    path.write_text(yaml.safe_dump_all(list(objects.values()), sort_keys=False))
    proc = subprocess.run([_checkov(), "-f", str(path), "--framework", "kubernetes", "-o", "json", "--quiet",
                           "--skip-download"], capture_output=True, text=True, timeout=600, cwd=str(path.parent))
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["check_type"] == "kubernetes"
    return objects, report


def _object(objects, resource):
    """The object a finding's resource (`Kind.namespace.name`) names, or None."""
    kind, _, rest = resource.partition(".")
    namespace, _, name = rest.partition(".")
    return objects.get((kind, namespace, name))


def test_checkov_saw_every_object(scanned):
    objects, report = scanned
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] >= len(objects)
    assert len(objects) > 100
    assert {kind for kind, _, _ in objects} >= {"ConfigMap", "Deployment", "Service", "NetworkPolicy",
                                                 "PodDisruptionBudget", "Job"}


def test_every_finding_is_justified(scanned):
    objects, report = scanned
    unjustified = []
    for finding in report["results"]["failed_checks"]:
        obj = _object(objects, finding["resource"])
        applies, _ = JUSTIFIED.get(finding["check_id"], (None, None))
        if obj is None or applies is None or not applies(obj):
            unjustified.append(f"{finding['check_id']} {finding['check_name']}: {finding['resource']}")
    assert unjustified == []


def test_each_justification_is_still_needed(scanned):
    # A justification no finding uses any more is removed, here and in the README.
    _, report = scanned
    assert {f["check_id"] for f in report["results"]["failed_checks"]} == set(JUSTIFIED)


def test_the_digest_pinned_hardened_case_is_clean(scanned):
    objects, report = scanned
    mine = {key for key in objects if key[2].startswith(CLEAN_CASE + SEPARATOR)}
    assert {k for k, _, _ in mine} >= {"Deployment", "Job", "NetworkPolicy"}  # the patched agent among them
    findings = [f["resource"] for f in report["results"]["failed_checks"]
                if f["resource"].split(".", 2)[-1].startswith(CLEAN_CASE + SEPARATOR)]
    assert findings == []
