"""GENERATED from schemas/companionproxy.schema.json by settings/schema_compiler.py: do not edit.

    python -m pipelock_companion.settings.schema_compiler > fn/settings/schema_valid.py

`valid(document)`: whether the functionConfig document is valid under the
schema, without importing jsonschema (which words the errors of one that is
not: settings/schema.py).
"""

import re

_P0 = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$(?!\\n)"
_P1 = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$(?!\\n)"
_P2 = "^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$(?!\\n)"
_P3 = "^[A-Za-z0-9][A-Za-z0-9._/:-]*$(?!\\n)"
_P4 = "^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$(?!\\n)"  # noqa: E501
_P5 = "^v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$(?!\\n)"
_P6 = "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$(?!\\n)"
_P7 = "^(\\*\\.)?[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$(?!\\n)"
_P8 = "^[^,\\s]+$(?!\\n)"
_P9 = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$(?!\\n)"
_P10 = "^[0-9a-fA-F:.]+/[0-9]{1,3}$(?!\\n)"
_P11 = "^[-._a-zA-Z0-9]+$(?!\\n)"
_P12 = "^(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$(?!\\n)"
_P13 = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+[a-z0-9]*$(?!\\n)"
_P14 = "^[A-Za-z][A-Za-z0-9]*$(?!\\n)"
_P15 = "^https?://[^\\s]+$(?!\\n)"
_P16 = "^[^:\\s]+:[0-9]+$(?!\\n)"
_P17 = "^https://[^/\\s]+(/[^\\s]*)?$(?!\\n)"


def valid(document):
    return _root(document)


def _s1(x):
    return x == "fn.pipelock.dev/v1alpha1"


def _s2(x):
    return x == "CompanionProxy"


def _s3(x):
    return isinstance(x, dict)


def _s5(x):
    return x in ("generate", "verify",)


def _def_workload_kind(x):
    return x in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Rollout",)


def _s7(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_workload_kind, x)))


def _def_name(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 63:
        return False
    return not (isinstance(x, str) and re.search(_P0, x) is None)


def _s9(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_name, x)))


def _s13(x):
    return not (isinstance(x, str) and re.search(_P1, x) is None)


def _s14(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 63:
        return False
    return not (isinstance(x, str) and re.search(_P2, x) is None)


def _def_labels(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(map(_s13, x)):
        return False
    if isinstance(x, dict):
        table: dict = {
        }
        for key, value in x.items():
            check = table.get(key, _s14)
            if check is None or not check(value):
                return False
    return True


def _s17(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and len(x) < 1)


def _s18(x):
    return x in ("In", "NotIn", "Exists", "DoesNotExist",)


def _s20(x):
    return isinstance(x, str)


def _s19(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s20, x)))


def _def_label_requirement(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("key", "operator",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "key": _s17,
            "operator": _s18,
            "values": _s19,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s15(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_label_requirement, x)))


def _s21(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
        }
        for key, value in x.items():
            check = table.get(key, _s20)
            if check is None or not check(value):
                return False
    return True


def _def_selector(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "kinds": _s7,
            "names": _s9,
            "namespaces": _s9,
            "matchLabels": _def_labels,
            "matchExpressions": _s15,
            "annotations": _s21,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s25(x):
    if not _def_labels(x):
        return False
    return not (isinstance(x, dict) and len(x) < 1)


def _s26(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 253:
        return False
    return not (isinstance(x, str) and re.search(_P3, x) is None)


def _def_workload_ref(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("kind", "name", "podLabels",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "kind": _def_workload_kind,
            "name": _def_name,
            "namespace": _def_name,
            "podLabels": _s25,
            "agentIdentity": _s26,
            "proxyName": _def_name,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s23(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_workload_ref, x)))


def _s27(x):
    return isinstance(x, bool)


def _def_image_reference(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 512:
        return False
    return not (isinstance(x, str) and re.search(_P4, x) is None)


def _s29(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P5, x) is None)


def _s30(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 100)


def _def_quantity(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P6, x) is None)


def _s32(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "cpu": _def_quantity,
            "memory": _def_quantity,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _def_resources(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "requests": _s32,
            "limits": _s32,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s35(x):
    return x in ("balanced", "strict", "audit",)


def _def_domain(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P7, x) is None)


def _s37(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_domain, x)))


def _s41(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) < 1:
        return False
    return not (isinstance(x, str) and re.search(_P8, x) is None)


def _s40(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s41, x)))


def _s42(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P9, x) is None)


def _def_cidr(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P10, x) is None)


def _s44(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_cidr, x)))


def _def_port(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 65535)


def _s46(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_def_port, x)))


def _s43(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "namespace": _def_name,
            "podLabels": _def_labels,
            "cidrs": _s44,
            "ports": _s46,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s50(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_def_cidr, x)))


def _s48(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "ports": _s46,
            "allowCIDRs": _s50,
            "denyCIDRs": _s44,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s53(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("namespace", "podLabels",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "namespace": _def_name,
            "podLabels": _s25,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s52(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "scraper": _s53,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s61(x):
    return x in ("TCP", "UDP", "SCTP",)


def _s60(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("port",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "port": _def_port,
            "protocol": _s61,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s59(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_s60, x)))


def _s62(x):
    return not (isinstance(x, dict) and not all(k in x for k in ("podLabels",)))


def _s63(x):
    return not (isinstance(x, dict) and not all(k in x for k in ("cidrs",)))


def _def_destination(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("name", "ports",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "name": _def_name,
            "namespace": _def_name,
            "podLabels": _s25,
            "cidrs": _s50,
            "ports": _s59,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return [_s62(x), _s63(x)].count(True) == 1


def _s55(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_destination, x)))


def _s65(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) < 1:
        return False
    return not (isinstance(x, str) and re.search(_P11, x) is None)


def _s67(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 0:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 511)


def _s68(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 9223372036854775807)


def _s69(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P12, x) is None)


def _s72(x):
    return x in ("bundle", "none",)


def _def_tls(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("secretName",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "secretName": _def_name,
            "certKey": _s65,
            "keyKey": _s65,
            "certConfigMap": _def_name,
            "defaultMode": _s67,
            "fsGroup": _s68,
            "certTTL": _s69,
            "certCacheSize": _s68,
            "maxResponseBytes": _s68,
            "agentTrust": _s72,
            "trustImage": _def_image_reference,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s73(x):
    return x in ("report", "tighten",)


def _s76(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 253:
        return False
    return not (isinstance(x, str) and re.search(_P13, x) is None)


def _s77(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 63:
        return False
    return not (isinstance(x, str) and re.search(_P14, x) is None)


def _s78(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 253:
        return False
    return not (isinstance(x, str) and re.search(_P9, x) is None)


def _def_policy_ref(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("kind", "name",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "apiVersion": _s76,
            "kind": _s77,
            "name": _s78,
            "namespace": _def_name,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s74(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_def_policy_ref, x)))


def _s79(x):
    return x in ("warn", "rewrite",)


def _s80(x):
    return x in ("warn", "remove",)


def _s81(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "dependsOn": _s27,
            "argoSyncWaves": _s27,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s86(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P15, x) is None)


def _s87(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P16, x) is None)


def _s88(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P17, x) is None)


def _s84(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "enabled": _s27,
            "image": _def_image_reference,
            "externalURL": _s86,
            "externalTCP": _s87,
            "passthroughURL": _s88,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _def_spec(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "mode": _s5,
            "selector": _def_selector,
            "exclude": _def_selector,
            "workloads": _s23,
            "allowEmptyMatch": _s27,
            "image": _def_image_reference,
            "version": _s29,
            "replicas": _s30,
            "resources": _def_resources,
            "preset": _s35,
            "agentIdentity": _s26,
            "apiAllowlist": _s37,
            "passthroughDomains": _s37,
            "noProxy": _s40,
            "clusterDomain": _s42,
            "dns": _s43,
            "proxyEgress": _s48,
            "proxyNamespace": _def_name,
            "metrics": _s52,
            "destinations": _s55,
            "tls": _def_tls,
            "existingPolicies": _s73,
            "unanalysedPolicies": _s74,
            "downloadingInitContainers": _s79,
            "legacySidecar": _s80,
            "rollout": _s81,
            "probes": _s84,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _root(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("apiVersion", "kind",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "apiVersion": _s1,
            "kind": _s2,
            "metadata": _s3,
            "spec": _def_spec,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True
