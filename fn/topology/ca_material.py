"""The TLS CA in the input: the keys spec.tls names, in a form Pipelock loads.

Pipelock v2.2.0 (internal/certgen/certgen.go, LoadCA) takes the FIRST PEM
block of each file, whatever its label, parses the certificate with
x509.ParseCertificate and the key with x509.ParseECPrivateKey — SEC 1
(`EC PRIVATE KEY`) only: a PKCS#8 (`PRIVATE KEY`) or RSA key makes the proxy
exit at start. Then the certificate must be a CA with KeyUsageCertSign, an
ECDSA key, matching the private key. When the Secret (or the ConfigMap of
the certificate) is in the input, each of those is checked here, with an
error naming the object and the field. Usually the Secret is not in the
input (cert-manager or a sealed secret makes it at run time): nothing to
check then.

A small DER reader (tag, length, value) is enough for these structures;
no cryptography is done.
"""

import base64
import binascii
import re

from ..krm import results as R

_PEM = re.compile(rb"-----BEGIN ([^-\r\n]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"
# The curves Go's x509 knows (namedCurveFromOID): P-224, P-256, P-384, P-521.
GO_CURVES = {"1.3.132.0.33": "P-224", "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384",
             "1.3.132.0.35": "P-521"}
KEY_CERT_SIGN = 0x04  # bit 5 of KeyUsage, in its first byte

SEQUENCE, INTEGER, OCTET_STRING, BIT_STRING, OID, BOOLEAN = 0x30, 0x02, 0x04, 0x03, 0x06, 0x01


class DerError(ValueError):
    pass


def check(items, agents, settings):
    """[Result] for the CA objects of spec.tls found in the input."""
    tls = settings.tls
    if tls is None:
        return []
    out = []
    named = _by_id(items, (("Secret", tls.secret_name), ("ConfigMap", tls.cert_config_map)))
    for namespace in dict.fromkeys(a.namespace for a in agents):
        secret = named.get(("Secret", tls.secret_name, namespace))
        config_map = named.get(("ConfigMap", tls.cert_config_map, namespace)) if tls.cert_config_map else None
        key_public = cert_public = None
        cert_where = None
        if secret is not None:
            key_text, problem = _value(secret, tls.key_key, ("data", "stringData"), "spec.tls.keyKey")
            if problem:
                out.append(problem)
            elif key_text is not None:
                why, key_public = parse_key(key_text)
                if why:
                    out.append(_error(secret, f"{_where(secret, tls.key_key)}: {why}. Pipelock reads only an ECDSA "
                                      "key in SEC 1 form (-----BEGIN EC PRIVATE KEY-----) and exits at start with "
                                      "any other. cert-manager: privateKey: {algorithm: ECDSA, encoding: PKCS1}; "
                                      "openssl: `openssl ec -in key.pem -out ca-key.pem` (docs/tls.md)",
                                      _field(secret, tls.key_key)))
        cert_owner = config_map if tls.cert_config_map else secret
        if cert_owner is not None:
            sections = ("data", "binaryData") if cert_owner.kind == "ConfigMap" else ("data", "stringData")
            cert_text, problem = _value(cert_owner, tls.cert_key, sections, "spec.tls.certKey")
            if problem:
                out.append(problem)
            elif cert_text is not None:
                why, cert_public = parse_certificate(cert_text)
                cert_where = cert_owner
                if why:
                    out.append(_error(cert_owner, f"{_where(cert_owner, tls.cert_key)}: {why}; Pipelock exits at "
                                      "start (docs/tls.md)", _field(cert_owner, tls.cert_key)))
        if key_public and cert_public and key_public != cert_public and cert_where is not None:
            out.append(_error(cert_where, f"{_where(cert_where, tls.cert_key)}: the certificate's public key is "
                              f"not the one of the private key in Secret {tls.secret_name} ({tls.key_key}); "
                              'Pipelock exits at start ("CA key does not match certificate")',
                              _field(cert_where, tls.cert_key)))
    return out


# -- the two files ------------------------------------------------------------

def parse_key(text):
    """(problem or None, the public key bytes if the key carries them)."""
    label, der, problem = _first_block(text)
    if problem:
        return problem, None
    if label == "EC PARAMETERS":
        return ("its first PEM block is EC PARAMETERS, and Pipelock reads only the first block (generate with "
                "`openssl ecparam -genkey -noout`, or remove that block)"), None
    try:
        tag, start, end = _tlv(der, 0)
        fields = _children(der, start, end) if tag == SEQUENCE else []
        if len(fields) >= 2 and fields[0][0] == INTEGER and fields[1][0] == SEQUENCE:
            return f"the key is PKCS#8 ({label}), not SEC 1", None
        if len(fields) >= 2 and fields[0][0] == INTEGER and fields[1][0] == INTEGER:
            return f"the key is RSA in PKCS#1 form ({label}), not ECDSA", None
        if len(fields) < 2 or fields[0][0] != INTEGER or fields[1][0] != OCTET_STRING:
            return f"the {label} block is not an EC private key", None
        version = int.from_bytes(der[fields[0][1]:fields[0][2]], "big")
        if version != 1:
            return f"unknown EC private key version {version}", None
        curve, public = None, None
        for tag, start, end in fields[2:]:
            if tag == 0xA0:
                inner = _children(der, start, end)
                curve = _oid(der[inner[0][1]:inner[0][2]]) if inner and inner[0][0] == OID else None
            elif tag == 0xA1:
                inner = _children(der, start, end)
                if inner and inner[0][0] == BIT_STRING:
                    public = der[inner[0][1] + 1:inner[0][2]]
    except DerError as err:
        return f"the {label} block is not valid DER ({err})", None
    if curve not in GO_CURVES:
        return f"the key's curve ({curve or 'not named'}) is not one Go supports (P-224, P-256, P-384, P-521)", None
    return None, public


def parse_certificate(text):
    """(problem or None, the public key bytes)."""
    label, der, problem = _first_block(text)
    if problem:
        return problem, None
    try:
        tag, start, end = _tlv(der, 0)
        certificate = _children(der, start, end) if tag == SEQUENCE else []
        if len(certificate) != 3 or certificate[0][0] != SEQUENCE:
            return f"the first PEM block ({label}) is not an X.509 certificate", None
        tbs = _children(der, certificate[0][1], certificate[0][2])
        if tbs and tbs[0][0] == 0xA0:  # [0] version
            tbs = tbs[1:]
        if len(tbs) < 6:
            return f"the first PEM block ({label}) is not an X.509 certificate", None
        spki = _children(der, tbs[5][1], tbs[5][2])
        algorithm = _children(der, spki[0][1], spki[0][2])
        key_algorithm = _oid(der[algorithm[0][1]:algorithm[0][2]])
        public = der[spki[1][1] + 1:spki[1][2]]
        is_ca, key_usage = False, None
        for tag, start, end in tbs[6:]:
            if tag != 0xA3:  # [3] extensions
                continue
            (extensions,) = _children(der, start, end)
            for _, ext_start, ext_end in _children(der, extensions[1], extensions[2]):
                parts = _children(der, ext_start, ext_end)
                name, value = _oid(der[parts[0][1]:parts[0][2]]), parts[-1]
                if name == OID_BASIC_CONSTRAINTS:
                    inner = der[value[1]:value[2]]
                    constraints = _children(inner, *_tlv(inner, 0)[1:])
                    is_ca = bool(constraints and constraints[0][0] == BOOLEAN and inner[constraints[0][1]] != 0)
                elif name == OID_KEY_USAGE:
                    inner = der[value[1]:value[2]]
                    _, bits_start, bits_end = _tlv(inner, 0)
                    key_usage = inner[bits_start + 1] if bits_end > bits_start + 1 else 0
    except (DerError, IndexError, ValueError) as err:
        return f"the first PEM block ({label}) is not a valid X.509 certificate ({err})", None
    if not is_ca:
        return "the certificate is not a CA (basicConstraints CA:TRUE is missing)", None
    if key_usage is None or not key_usage & KEY_CERT_SIGN:
        return "the certificate lacks the keyCertSign key usage", None
    if key_algorithm != OID_EC_PUBLIC_KEY:
        return "the certificate's public key is not ECDSA", None
    return None, public


# -- objects and PEM --------------------------------------------------------------

def _by_id(items, wanted):
    """{(kind, name, namespace): the first v1 item of that id} for the (kind,
    name) pairs wanted, in one pass (not one pass per agent namespace)."""
    found: dict = {}
    for item in items:
        if (item.kind, item.name) in wanted and item.api_version == "v1" and item.is_mapping:
            found.setdefault((item.kind, item.name, item.namespace), item)
    return found


def _value(item, key, sections, setting):
    """(text or None, error result or None) of `key` in the object."""
    data = item.data
    for section in sections:
        values = data.get(section)
        if isinstance(values, dict) and key in values:
            raw = values[key]
            if section == "binaryData" or (section == "data" and item.kind == "Secret"):
                try:
                    return base64.b64decode(str(raw), validate=True).decode("latin-1"), None
                except (binascii.Error, ValueError):
                    return None, _error(item, f"{item.kind} {item.name} {section}[{key}] is not base64",
                                        R.field(f"{section}[{key}]"))
            return str(raw), None
    keys = sorted({k for s in sections if isinstance(data.get(s), dict) for k in data[s]})
    hint = ""
    if "tls.crt" in keys and "tls.key" in keys:
        hint = "; for cert-manager's names set spec.tls.certKey: tls.crt and spec.tls.keyKey: tls.key"
    return None, _error(item, f"{item.kind} {item.name} has no key {key!r} ({setting}); its keys: "
                              f"{', '.join(keys) or 'none'}{hint}. The proxy pod would not start "
                              "(the volume names a missing key)", R.field(f"{sections[0]}[{key}]"))


def _first_block(text):
    """(label, DER bytes, problem) of the first PEM block, as Go's pem.Decode takes it."""
    match = _PEM.search(text.encode("latin-1", "replace"))
    if not match:
        return None, b"", "no PEM block"
    label, body = match.group(1).decode("ascii", "replace"), match.group(2)
    if b":" in body:
        return label, b"", f"the {label} block is encrypted (it has PEM headers); Pipelock needs it unencrypted"
    try:
        return label, base64.b64decode(b"".join(body.split()), validate=True), None
    except (binascii.Error, ValueError):
        return label, b"", f"the {label} block is not valid base64"


def _where(item, key):
    return f"{item.kind} {item.name} {key}"


def _field(item, key):
    data = item.data
    section = next((s for s in ("data", "stringData", "binaryData")
                    if isinstance(data.get(s), dict) and key in data[s]), "data")
    return R.field(f"{section}[{key}]")


def _error(item, message, field):
    return R.Result(message, R.ERROR, item.ref(), field, item.file())


# -- DER ----------------------------------------------------------------------------

def _tlv(data, pos):
    """(tag, content start, content end) of the element at `pos`."""
    if pos + 2 > len(data):
        raise DerError("truncated")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if tag & 0x1F == 0x1F:
        raise DerError("high tag number")
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise DerError("truncated")
    return tag, pos, pos + length


def _children(data, start, end):
    out, pos = [], start
    while pos < end:
        tag, content_start, content_end = _tlv(data, pos)
        if content_end > end:
            raise DerError("element overruns its parent")
        out.append((tag, content_start, content_end))
        pos = content_end
    return out


def _oid(content):
    if not content:
        raise DerError("empty object identifier")
    parts, value = [], 0
    for byte in content:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in [first, parts[0] - 40 * first, *parts[1:]])
