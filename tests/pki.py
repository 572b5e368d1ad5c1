"""Test certificates and keys, made by the real `openssl` command.

OpenSSL is the outside implementation here: what it writes for "an EC key",
"PKCS#8", "RSA" or "a CA certificate" is what users' tools write, so the
function's checks are tested against real encodings, not our idea of them.
Everything is written into a directory the caller gives (a tmp_path).
"""

import shutil
import subprocess
from pathlib import Path

import pytest

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")

_CONFIG = """[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = {cn}
[ext]
{extensions}
"""
CA_EXTENSIONS = "basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"


def openssl(*args, cwd):
    proc = subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"openssl {' '.join(map(str, args))}: {proc.stderr}"
    return proc.stdout


def ec_key(directory, name, *, form="sec1", curve="prime256v1"):
    """An EC key: form sec1 (`openssl ecparam -genkey -noout`), pkcs8
    (`openssl pkcs8 -topk8`) or with-params (ecparam without -noout: an
    EC PARAMETERS block first)."""
    directory = Path(directory)
    path = directory / name
    generated = directory / f"{name}.sec1" if form == "pkcs8" else path
    if form == "with-params":
        openssl("ecparam", "-name", curve, "-genkey", "-out", generated, cwd=directory)
    else:
        openssl("ecparam", "-name", curve, "-genkey", "-noout", "-out", generated, cwd=directory)
    if form == "pkcs8":
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", generated, "-out", path, cwd=directory)
    return path


def rsa_key(directory, name, *, pkcs1=True):
    directory = Path(directory)
    path = directory / name
    openssl("genrsa", *(["-traditional"] if pkcs1 else []), "-out", path, "2048", cwd=directory)
    return path


def self_signed(directory, name, key, *, cn="Pipelock CA", extensions=CA_EXTENSIONS):
    """A self-signed certificate of `key`, with exactly `extensions`."""
    directory = Path(directory)
    config = directory / f"{name}.cnf"
    config.write_text(_CONFIG.format(cn=cn, extensions=extensions))
    path = directory / name
    openssl("req", "-x509", "-new", "-key", key, "-config", config, "-days", "2", "-out", path, cwd=directory)
    return path


def leaf(directory, name, ca_cert, ca_key, host):
    """(certificate, key) of a TLS server for `host`, issued by the CA."""
    directory = Path(directory)
    key = ec_key(directory, f"{name}.key")
    csr = directory / f"{name}.csr"
    openssl("req", "-new", "-key", key, "-subj", f"/CN={host}", "-out", csr, cwd=directory)
    ext = directory / f"{name}.ext"
    ext.write_text(f"subjectAltName = DNS:{host}\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n")
    path = directory / f"{name}.crt"
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", ext, "-out", path, cwd=directory)
    return path, key
