"""probe.sh's TLS probes, run for real against TLS stand-ins on 127.0.0.1.

The world: a "Pipelock CA" and a "public root", both made by openssl; TLS
servers whose certificates one of them issued; a stand-in forward proxy
whose CONNECT tunnels map names under .invalid (which never resolve) to
those servers, so that "intercepted" means "served with a certificate of
the Pipelock CA", as Pipelock does, and "passthrough" means "the public
certificate". The agent's trust is the bundle the init container writes:
the public roots, then the Pipelock CA.
"""

import http.server
import select
import socket
import ssl
import threading

import pytest
from test_probe_script import (
    LOOPBACK,
    StandInProxy,
    StandInProxyHandler,
    agent_env,
    assert_only_failure,
    closed_port,
    run_probe,
)

from pki import CA_EXTENSIONS, ec_key, leaf, needs_openssl, self_signed

pytestmark = needs_openssl

INTERCEPTED = "api.intercepted.invalid"
PASSTHROUGH = "login.passthrough.invalid"


class OkHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"origin\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Origin:
    """A TLS server on loopback with the given certificate."""

    def __init__(self, cert, key):
        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), OkHandler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return (LOOPBACK, self.server.server_address[1])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class TunnelHandler(StandInProxyHandler):
    """The stand-in proxy, with CONNECT: a tunnel to the server its table
    maps the target to, or 403 (what Pipelock answers to a host it blocks)."""

    def do_CONNECT(self):  # noqa: N802 - http.server's handler name
        self.server.seen_paths.append(f"CONNECT {self.path}")
        target = self.server.tunnels.get(self.path)
        if target is None:
            self._answer(403)
            return
        upstream = socket.create_connection(target, timeout=2)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        _pipe(self.connection, upstream)


def _pipe(client, upstream):
    try:
        while True:
            readable, _, _ = select.select([client, upstream], [], [], 2)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (upstream if sock is client else client).sendall(data)
    finally:
        upstream.close()


class TunnelProxy(StandInProxy):
    def __init__(self, tunnels):
        http.server.ThreadingHTTPServer.__init__(self, (LOOPBACK, 0), TunnelHandler)
        self.mode = "block-secret"
        self.seen_paths = []
        self.tunnels = {f"{host}:443": address for host, address in tunnels.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    pipelock_key = ec_key(directory, "pipelock-ca-key.pem")
    pipelock_ca = self_signed(directory, "pipelock-ca.pem", pipelock_key)
    public_key = ec_key(directory, "public-root-key.pem")
    public_root = self_signed(directory, "public-root.pem", public_key, cn="Public Root", extensions=CA_EXTENSIONS)
    (directory / "bundle.crt").write_text(public_root.read_text() + "\n" + pipelock_ca.read_text())
    origins = {
        ("intercepted", "pipelock"): Origin(*leaf(directory, "i-p", pipelock_ca, pipelock_key, INTERCEPTED)),
        ("intercepted", "public"): Origin(*leaf(directory, "i-q", public_root, public_key, INTERCEPTED)),
        ("passthrough", "public"): Origin(*leaf(directory, "p-q", public_root, public_key, PASSTHROUGH)),
        ("passthrough", "pipelock"): Origin(*leaf(directory, "p-p", pipelock_ca, pipelock_key, PASSTHROUGH)),
    }
    yield {"dir": directory, "ca": str(pipelock_ca), "root": str(public_root), "bundle": str(directory / "bundle.crt"),
           "origins": origins}
    for origin in origins.values():
        origin.close()


@pytest.fixture
def start_tunnel_proxy():
    proxies = []

    def start(world, intercepted="pipelock", passthrough="public"):
        tunnels = {}
        if intercepted:
            tunnels[INTERCEPTED] = world["origins"][("intercepted", intercepted)].address
        if passthrough:
            tunnels[PASSTHROUGH] = world["origins"][("passthrough", passthrough)].address
        proxy = TunnelProxy(tunnels)
        threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.shutdown()
        proxy.server_close()


def tls_env(proxy, world, **overrides):
    env = agent_env(proxy.url, EXTERNAL_URL=f"https://{INTERCEPTED}/", TLS_INTERCEPTION="true",
                    PIPELOCK_CA=world["ca"], CURL_CA_BUNDLE=world["bundle"], PASSTHROUGH_URL=f"https://{PASSTHROUGH}/")
    env.update(overrides)
    return env


# --- the agent's trust works both ways -----------------------------------------


def test_intercepted_and_passthrough_hosts_both_verify(start_tunnel_proxy, world):
    proxy = start_tunnel_proxy(world)
    run = run_probe(tls_env(proxy, world))

    assert run.returncode == 0, (run.lines, run.stderr)
    assert set(run.verdicts.values()) == {"PASS"}, run.lines
    assert f"CONNECT {INTERCEPTED}:443" in proxy.seen_paths
    assert f"CONNECT {PASSTHROUGH}:443" in proxy.seen_paths


# --- each way it breaks is reported ----------------------------------------------


def test_host_the_proxy_does_not_intercept_fails_tls_intercept(start_tunnel_proxy, world):
    proxy = start_tunnel_proxy(world, intercepted="public")
    run = run_probe(tls_env(proxy, world))

    assert_only_failure(run, "tls-intercept", skipped=())
    assert "did not intercept" in run.details["tls-intercept"]


def test_intercepted_passthrough_host_fails(start_tunnel_proxy, world):
    proxy = start_tunnel_proxy(world, passthrough="pipelock")
    run = run_probe(tls_env(proxy, world))

    assert_only_failure(run, "tls-passthrough", skipped=())
    assert "was intercepted" in run.details["tls-passthrough"]


def test_bundle_without_public_roots_breaks_passthrough(start_tunnel_proxy, world):
    # What SSL_CERT_FILE pointed at the bare CA (upstream's recipe) does.
    proxy = start_tunnel_proxy(world)
    run = run_probe(tls_env(proxy, world, CURL_CA_BUNDLE=world["ca"]))

    assert_only_failure(run, "tls-passthrough", skipped=())
    assert "public roots are missing" in run.details["tls-passthrough"]


def test_bundle_without_the_pipelock_ca_breaks_the_agent_path(start_tunnel_proxy, world):
    proxy = start_tunnel_proxy(world)
    run = run_probe(tls_env(proxy, world, CURL_CA_BUNDLE=world["root"]))

    assert_only_failure(run, "via-proxy", skipped=())
    assert "curl exit 60" in run.details["via-proxy"]


def test_passthrough_host_the_proxy_refuses_fails(start_tunnel_proxy, world):
    # A strict allowlist without the passthrough host: CONNECT gets 403.
    proxy = start_tunnel_proxy(world, passthrough=None)
    run = run_probe(tls_env(proxy, world))

    assert_only_failure(run, "tls-passthrough", skipped=())
    assert "CONNECT refused" in run.details["tls-passthrough"]


def test_missing_pipelock_ca_file_fails_tls_intercept(start_tunnel_proxy, world):
    proxy = start_tunnel_proxy(world)
    run = run_probe(tls_env(proxy, world, PIPELOCK_CA=str(world["dir"] / "absent.pem")))

    assert run.verdicts["tls-intercept"] == "FAIL"
    assert "PIPELOCK_CA" in run.details["tls-intercept"]


# --- what is skipped, and why ------------------------------------------------------


def test_plain_http_external_url_skips_tls_intercept(start_tunnel_proxy, world):
    proxy = start_tunnel_proxy(world)
    run = run_probe(tls_env(proxy, world, EXTERNAL_URL=f"http://{LOOPBACK}:{closed_port()}/"))

    assert run.verdicts["tls-intercept"] == "SKIP"
    assert run.verdicts["tls-passthrough"] == "PASS"


def test_without_interception_and_passthrough_url_both_skip(start_tunnel_proxy, world):
    proxy = start_tunnel_proxy(world)
    run = run_probe(tls_env(proxy, world, TLS_INTERCEPTION="", PASSTHROUGH_URL=""))

    assert run.verdicts["tls-intercept"] == "SKIP"
    assert run.verdicts["tls-passthrough"] == "SKIP"
