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
_P13 = "^https?://[^\\s]+$(?!\\n)"
_P14 = "^[^:\\s]+:[0-9]+$(?!\\n)"
_P15 = "^https://[^/\\s]+(/[^\\s]*)?$(?!\\n)"


def valid(document):
    return _root(document)


def _s1(x):
    return x == "fn.pipelock.dev/v1alpha1"


def _s2(x):
    return x == "CompanionProxy"


def _s3(x):
    return isinstance(x, dict)


def _s6(x):
    return x in ("generate", "verify",)


def _def_workload_kind(x):
    return x in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Rollout",)


def _s10(x):
    return _def_workload_kind(x)


def _s9(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s10, x)))


def _def_name(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 63:
        return False
    return not (isinstance(x, str) and re.search(_P0, x) is None)


def _s13(x):
    return _def_name(x)


def _s12(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s13, x)))


def _s16(x):
    return _def_name(x)


def _s15(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s16, x)))


def _s19(x):
    return not (isinstance(x, str) and re.search(_P1, x) is None)


def _s20(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 63:
        return False
    return not (isinstance(x, str) and re.search(_P2, x) is None)


def _def_labels(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(map(_s19, x)):
        return False
    if isinstance(x, dict):
        table: dict = {
        }
        for key, value in x.items():
            check = table.get(key, _s20)
            if check is None or not check(value):
                return False
    return True


def _s17(x):
    return _def_labels(x)


def _s24(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and len(x) < 1)


def _s25(x):
    return x in ("In", "NotIn", "Exists", "DoesNotExist",)


def _s27(x):
    return isinstance(x, str)


def _s26(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s27, x)))


def _def_label_requirement(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("key", "operator",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "key": _s24,
            "operator": _s25,
            "values": _s26,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s22(x):
    return _def_label_requirement(x)


def _s21(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s22, x)))


def _s29(x):
    return isinstance(x, str)


def _s28(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
        }
        for key, value in x.items():
            check = table.get(key, _s29)
            if check is None or not check(value):
                return False
    return True


def _def_selector(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "kinds": _s9,
            "names": _s12,
            "namespaces": _s15,
            "matchLabels": _s17,
            "matchExpressions": _s21,
            "annotations": _s28,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s7(x):
    return _def_selector(x)


def _s30(x):
    return _def_selector(x)


def _s34(x):
    return _def_workload_kind(x)


def _s35(x):
    return _def_name(x)


def _s36(x):
    return _def_name(x)


def _s37(x):
    if not _def_labels(x):
        return False
    return not (isinstance(x, dict) and len(x) < 1)


def _s38(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 253:
        return False
    return not (isinstance(x, str) and re.search(_P3, x) is None)


def _s39(x):
    return _def_name(x)


def _def_workload_ref(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("kind", "name", "podLabels",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "kind": _s34,
            "name": _s35,
            "namespace": _s36,
            "podLabels": _s37,
            "agentIdentity": _s38,
            "proxyName": _s39,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s32(x):
    return _def_workload_ref(x)


def _s31(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s32, x)))


def _s40(x):
    return isinstance(x, bool)


def _def_image_reference(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 512:
        return False
    return not (isinstance(x, str) and re.search(_P4, x) is None)


def _s41(x):
    return _def_image_reference(x)


def _s43(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P5, x) is None)


def _s44(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 100)


def _def_quantity(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P6, x) is None)


def _s48(x):
    return _def_quantity(x)


def _s50(x):
    return _def_quantity(x)


def _s47(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "cpu": _s48,
            "memory": _s50,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s52(x):
    return _def_quantity(x)


def _s53(x):
    return _def_quantity(x)


def _s51(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "cpu": _s52,
            "memory": _s53,
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
            "requests": _s47,
            "limits": _s51,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s45(x):
    return _def_resources(x)


def _s54(x):
    return x in ("balanced", "strict", "audit",)


def _s55(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) > 253:
        return False
    return not (isinstance(x, str) and re.search(_P3, x) is None)


def _def_domain(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P7, x) is None)


def _s57(x):
    return _def_domain(x)


def _s56(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s57, x)))


def _s60(x):
    return _def_domain(x)


def _s59(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s60, x)))


def _s62(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) < 1:
        return False
    return not (isinstance(x, str) and re.search(_P8, x) is None)


def _s61(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s62, x)))


def _s63(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P9, x) is None)


def _s65(x):
    return _def_name(x)


def _s66(x):
    return _def_labels(x)


def _def_cidr(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P10, x) is None)


def _s68(x):
    return _def_cidr(x)


def _s67(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s68, x)))


def _def_port(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 65535)


def _s71(x):
    return _def_port(x)


def _s70(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_s71, x)))


def _s64(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "namespace": _s65,
            "podLabels": _s66,
            "cidrs": _s67,
            "ports": _s70,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s75(x):
    return _def_port(x)


def _s74(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_s75, x)))


def _s77(x):
    return _def_cidr(x)


def _s76(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_s77, x)))


def _s79(x):
    return _def_cidr(x)


def _s78(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s79, x)))


def _s73(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "ports": _s74,
            "allowCIDRs": _s76,
            "denyCIDRs": _s78,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s83(x):
    return _def_name(x)


def _s84(x):
    return _def_name(x)


def _s85(x):
    if not _def_labels(x):
        return False
    return not (isinstance(x, dict) and len(x) < 1)


def _s87(x):
    return _def_cidr(x)


def _s86(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_s87, x)))


def _s90(x):
    return _def_port(x)


def _s91(x):
    return x in ("TCP", "UDP", "SCTP",)


def _s89(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("port",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "port": _s90,
            "protocol": _s91,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s88(x):
    if not isinstance(x, list):
        return False
    if isinstance(x, list) and len(x) < 1:
        return False
    return not (isinstance(x, list) and not all(map(_s89, x)))


def _s92(x):
    return not (isinstance(x, dict) and not all(k in x for k in ("podLabels",)))


def _s93(x):
    return not (isinstance(x, dict) and not all(k in x for k in ("cidrs",)))


def _def_destination(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("name", "ports",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "name": _s83,
            "namespace": _s84,
            "podLabels": _s85,
            "cidrs": _s86,
            "ports": _s88,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return [_s92(x), _s93(x)].count(True) == 1


def _s81(x):
    return _def_destination(x)


def _s80(x):
    if not isinstance(x, list):
        return False
    return not (isinstance(x, list) and not all(map(_s81, x)))


def _s96(x):
    return _def_name(x)


def _s97(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) < 1:
        return False
    return not (isinstance(x, str) and re.search(_P11, x) is None)


def _s98(x):
    if not isinstance(x, str):
        return False
    if isinstance(x, str) and len(x) < 1:
        return False
    return not (isinstance(x, str) and re.search(_P11, x) is None)


def _s99(x):
    return _def_name(x)


def _s100(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 0:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 511)


def _s101(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 9223372036854775807)


def _s102(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P12, x) is None)


def _s103(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 9223372036854775807)


def _s104(x):
    if not ((isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())):
        return False
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x < 1:
        return False
    return not (isinstance(x, (int, float)) and not isinstance(x, bool) and x > 9223372036854775807)


def _s105(x):
    return x in ("bundle", "none",)


def _s106(x):
    return _def_image_reference(x)


def _def_tls(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict) and not all(k in x for k in ("secretName",)):
        return False
    if isinstance(x, dict):
        table: dict = {
            "secretName": _s96,
            "certKey": _s97,
            "keyKey": _s98,
            "certConfigMap": _s99,
            "defaultMode": _s100,
            "fsGroup": _s101,
            "certTTL": _s102,
            "certCacheSize": _s103,
            "maxResponseBytes": _s104,
            "agentTrust": _s105,
            "trustImage": _s106,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s94(x):
    return _def_tls(x)


def _s107(x):
    return x in ("report", "tighten",)


def _s108(x):
    return x in ("warn", "rewrite",)


def _s109(x):
    return x in ("warn", "remove",)


def _s111(x):
    return isinstance(x, bool)


def _s112(x):
    return isinstance(x, bool)


def _s110(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "dependsOn": _s111,
            "argoSyncWaves": _s112,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s114(x):
    return isinstance(x, bool)


def _s115(x):
    return _def_image_reference(x)


def _s116(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P13, x) is None)


def _s117(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P14, x) is None)


def _s118(x):
    if not isinstance(x, str):
        return False
    return not (isinstance(x, str) and re.search(_P15, x) is None)


def _s113(x):
    if not isinstance(x, dict):
        return False
    if isinstance(x, dict):
        table: dict = {
            "enabled": _s114,
            "image": _s115,
            "externalURL": _s116,
            "externalTCP": _s117,
            "passthroughURL": _s118,
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
            "mode": _s6,
            "selector": _s7,
            "exclude": _s30,
            "workloads": _s31,
            "allowEmptyMatch": _s40,
            "image": _s41,
            "version": _s43,
            "replicas": _s44,
            "resources": _s45,
            "preset": _s54,
            "agentIdentity": _s55,
            "apiAllowlist": _s56,
            "passthroughDomains": _s59,
            "noProxy": _s61,
            "clusterDomain": _s63,
            "dns": _s64,
            "proxyEgress": _s73,
            "destinations": _s80,
            "tls": _s94,
            "existingPolicies": _s107,
            "downloadingInitContainers": _s108,
            "legacySidecar": _s109,
            "rollout": _s110,
            "probes": _s113,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True


def _s4(x):
    return _def_spec(x)


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
            "spec": _s4,
        }
        for key, value in x.items():
            check = table.get(key)
            if check is None or not check(value):
                return False
    return True
