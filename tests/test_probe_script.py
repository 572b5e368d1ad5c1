"""probe.sh run for real with sh against stand-ins on 127.0.0.1.

The stand-ins: a forward proxy that answers absolute-form GETs (403 when the
URL carries the synthetic secret) and a TCP listener standing for "the
internet". A closed loopback port stands for an internet the NetworkPolicy
has shut off. Every server binds 127.0.0.1 only and stops at the end of its
test; every probe runs with a 1 s timeout.
"""

import contextlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "fn" / "probes" / "probe.sh"
LOOPBACK = "127.0.0.1"
SECRET = "AKIAIOSFODNN7EXAMPLE"
PROBES = ["dns", "raw-tcp", "env-clear", "no-proxy", "via-proxy", "secret-blocked", "tls-intercept", "tls-passthrough"]
# Without TLS interception settings the TLS probes have nothing to check.
TLS_PROBES = {"tls-intercept", "tls-passthrough"}
# 127.0.0.1, or a name under .invalid, which never resolves (RFC 6761): the
# stand-in proxy alone maps such names, to loopback listeners.
LOOPBACK_ADDRESS = re.compile(r"(^|//)(127\.0\.0\.1|[a-z0-9.-]+\.invalid)(:|/|$)")
LINE = re.compile(r"^(PASS|FAIL|SKIP) (\S+) (\S.*)$")
RUN_TIMEOUT = 20
ADDRESS_VARIABLES = [
    "EXTERNAL_URL", "EXTERNAL_TCP", "NO_PROXY_URL", "SECRET_URL", "PROXY_URL", "PASSTHROUGH_URL",
    "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy",
]

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="probe.sh needs curl")


# --- stand-ins ---------------------------------------------------------------


class StandInProxyHandler(http.server.BaseHTTPRequestHandler):
    """Answers what a forward proxy receives, without forwarding anything."""

    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.server.seen_paths.append(self.path)
        if not self.path.startswith("http://"):
            self._answer(400)
        elif SECRET in self.path:
            self._answer_secret()
        elif self.server.mode == "deny-all":
            self._answer(403)
        else:
            self._answer(200)

    def _answer_secret(self):
        mode = self.server.mode
        if mode == "close-on-secret":
            self.close_connection = True  # no reply at all: curl sees an empty reply
        elif mode == "let-secret-through":
            self._answer(200)
        elif mode == "redirect-secret":
            self._answer(302)
        else:
            self._answer(403)

    def _answer(self, status):
        body = b"stand-in\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class StandInProxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode):
        super().__init__((LOOPBACK, 0), StandInProxyHandler)
        self.mode = mode
        self.seen_paths = []

    @property
    def url(self):
        return f"http://{LOOPBACK}:{self.server_address[1]}"


class Internet:
    """A loopback listener that answers any connection with an HTTP 200.

    It waits briefly for a request first, so a raw TCP dial (which sends
    nothing) gets an answer and a close too. With hang=True it accepts and
    then keeps silent, like an upstream that never answers.
    """

    def __init__(self, hang=False):
        self.hang = hang
        self.stop = threading.Event()
        self.held = []
        self.sock = socket.create_server((LOOPBACK, 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self):
        return f"http://{self.address}/"

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            if self.hang:
                self.held.append(conn)
            else:
                self._answer(conn)

    def _answer(self, conn):
        with conn:
            conn.settimeout(0.2)
            with contextlib.suppress(TimeoutError):
                conn.recv(4096)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi\n")

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)
        for conn in self.held:
            conn.close()
        self.sock.close()


def closed_port():
    """A loopback port with nothing listening: connecting is refused at once."""
    with socket.create_server((LOOPBACK, 0)) as sock:
        return sock.getsockname()[1]


def closed_url():
    return f"http://{LOOPBACK}:{closed_port()}/"


@pytest.fixture
def start_proxy():
    proxies = []

    def start(mode="block-secret"):
        proxy = StandInProxy(mode)
        threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.shutdown()
        proxy.server_close()


@pytest.fixture
def proxy(start_proxy):
    return start_proxy()


@pytest.fixture
def start_internet():
    listeners = []

    def start(hang=False):
        listener = Internet(hang=hang)
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        listener.close()


@pytest.fixture
def internet(start_internet):
    return start_internet()


# --- running the script ------------------------------------------------------


class Run:
    def __init__(self, completed):
        self.returncode = completed.returncode
        self.stderr = completed.stderr
        self.lines = completed.stdout.splitlines()
        self.verdicts = {}
        self.details = {}
        for line in self.lines:
            match = LINE.match(line)
            assert match, f"not a probe line: {line!r}"
            verdict, probe, detail = match.groups()
            self.verdicts[probe] = verdict
            self.details[probe] = detail


def agent_env(proxy_url, **settings):
    """The environment of a locked-down agent: proxy variables in both cases."""
    env = {
        "PROXY_URL": proxy_url,
        "HTTPS_PROXY": proxy_url,
        "HTTP_PROXY": proxy_url,
        "https_proxy": proxy_url,
        "http_proxy": proxy_url,
        "NO_PROXY": LOOPBACK,
        "no_proxy": LOOPBACK,
        "EXTERNAL_URL": closed_url(),
        "EXTERNAL_TCP": f"{LOOPBACK}:{closed_port()}",
        "NO_PROXY_URL": closed_url(),
    }
    env.update(settings)
    return env


def loopback_only(env):
    """Every address the script may dial, defaulted and checked to be 127.0.0.1."""
    env = {"EXTERNAL_URL": closed_url(), "EXTERNAL_TCP": f"{LOOPBACK}:{closed_port()}", **env}
    for name in ADDRESS_VARIABLES:
        value = env.get(name, "")
        assert not value or LOOPBACK_ADDRESS.search(value), f"{name}={value!r} is not a loopback address"
    return env


def run_probe(env, shell=("sh",)):
    base = {"PATH": os.environ["PATH"], "PROBE_TIMEOUT": "1"}
    completed = subprocess.run(
        [*shell, str(SCRIPT)],
        env={**base, **loopback_only(env)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    return Run(completed)


def assert_only_failure(run, probe, skipped=TLS_PROBES):
    assert run.returncode == 1, run.lines
    assert run.verdicts[probe] == "FAIL", run.lines
    others = {name: verdict for name, verdict in run.verdicts.items() if name != probe}
    assert {name: verdict for name, verdict in others.items() if verdict != "PASS"} == {
        name: "SKIP" for name in skipped if name != probe}, run.lines


def available_shells():
    shells = [("sh",), ("bash",), ("bash", "--posix"), ("dash",), ("busybox", "sh")]
    return [
        pytest.param(shell, id=" ".join(shell),
                     marks=pytest.mark.skipif(shutil.which(shell[0]) is None, reason=f"no {shell[0]}"))
        for shell in shells
    ]


# --- the lockdown holds ------------------------------------------------------


@pytest.mark.parametrize("shell", available_shells())
def test_lockdown_holds_every_probe_passes(proxy, shell):
    run = run_probe(agent_env(proxy.url), shell=shell)

    assert run.returncode == 0, (run.lines, run.stderr)
    assert [line.split()[1] for line in run.lines] == PROBES
    assert {name for name, verdict in run.verdicts.items() if verdict != "PASS"} == TLS_PROBES
    assert {run.verdicts[name] for name in TLS_PROBES} == {"SKIP"}


def test_secret_is_sent_in_absolute_form_to_the_proxy(proxy):
    external = closed_url()
    run = run_probe(agent_env(proxy.url, EXTERNAL_URL=external))

    assert run.verdicts["secret-blocked"] == "PASS"
    assert f"{external}?key={SECRET}" in proxy.seen_paths


def test_secret_url_joins_an_existing_query_with_ampersand(proxy):
    external = closed_url() + "?q=1"
    run_probe(agent_env(proxy.url, EXTERNAL_URL=external))

    assert f"{external}&key={SECRET}" in proxy.seen_paths


def test_default_secret_url_is_plain_http_so_the_proxy_sees_the_key(proxy):
    # Over https the key would ride inside a CONNECT tunnel, hidden from the proxy.
    port = closed_port()
    run = run_probe(agent_env(proxy.url, EXTERNAL_URL=f"https://{LOOPBACK}:{port}/"))

    assert f"http://{LOOPBACK}:{port}/?key={SECRET}" in proxy.seen_paths
    assert run.verdicts["secret-blocked"] == "PASS"


def test_explicit_secret_url_is_used_as_given(proxy):
    secret_url = f"{closed_url()}upload?token={SECRET}"
    run = run_probe(agent_env(proxy.url, SECRET_URL=secret_url))

    assert proxy.seen_paths[-1] == secret_url
    assert run.verdicts["secret-blocked"] == "PASS"


def test_proxy_closing_the_connection_on_the_secret_counts_as_blocked(start_proxy):
    proxy = start_proxy("close-on-secret")
    run = run_probe(agent_env(proxy.url))

    assert run.returncode == 0, run.lines
    assert run.verdicts["secret-blocked"] == "PASS"
    assert "closed by the proxy" in run.details["secret-blocked"]


def test_no_proxy_probe_is_skipped_without_a_url(proxy):
    run = run_probe(agent_env(proxy.url, NO_PROXY_URL=""))

    assert run.returncode == 0, run.lines
    assert run.verdicts["no-proxy"] == "SKIP"


@pytest.mark.parametrize("variable", ["http_proxy", "ALL_PROXY", "all_proxy"])
def test_env_clear_really_clears_the_proxy_variables(proxy, variable):
    # Any of these left in place would carry the request through the stand-in
    # proxy (200) and turn the env-clear probe into a false FAIL.
    env = {"PROXY_URL": proxy.url, variable: proxy.url, "EXTERNAL_URL": closed_url()}
    run = run_probe(env)

    assert run.verdicts["env-clear"] == "PASS", run.lines


def test_proxy_url_falls_back_to_https_proxy(proxy):
    env = agent_env(proxy.url)
    del env["PROXY_URL"]
    run = run_probe(env)

    assert run.returncode == 0, run.lines
    assert run.verdicts["via-proxy"] == "PASS"


def test_dns_probe_resolves_the_proxy_name_directly(proxy):
    run = run_probe(agent_env(proxy.url))

    assert run.verdicts["dns"] == "PASS"
    # Origin form: the request went straight to the proxy's own /health, not through it.
    assert "/health" in proxy.seen_paths


def test_proxy_name_that_does_not_resolve_fails_dns():
    # .invalid never resolves: what an agent sees when its DNS egress is dropped.
    run = run_probe(agent_env("http://agent-pipelock.agents.invalid:8888"))

    assert run.verdicts["dns"] == "FAIL"
    assert "agent-pipelock.agents.invalid" in run.details["dns"]
    assert "spec.dns" in run.details["dns"] or "no answer" in run.details["dns"]


def test_refused_proxy_still_shows_the_name_resolved():
    run = run_probe(agent_env(f"http://{LOOPBACK}:{closed_port()}"))

    assert run.verdicts["dns"] == "PASS"
    assert "refused" in run.details["dns"]


# --- each bypass is reported -------------------------------------------------


def test_open_raw_tcp_path_fails(proxy, internet):
    run = run_probe(agent_env(proxy.url, EXTERNAL_TCP=internet.address))

    assert_only_failure(run, "raw-tcp")
    assert internet.address in run.details["raw-tcp"]


def test_raw_tcp_connection_that_never_answers_still_fails_in_bounded_time(proxy, start_internet):
    silent = start_internet(hang=True)
    started = time.monotonic()
    run = run_probe(agent_env(proxy.url, EXTERNAL_TCP=silent.address))

    assert_only_failure(run, "raw-tcp")
    assert time.monotonic() - started < 5


def test_env_clear_reaching_the_internet_fails(proxy, internet):
    run = run_probe(agent_env(proxy.url, EXTERNAL_URL=internet.url))

    assert_only_failure(run, "env-clear")
    assert "http 200" in run.details["env-clear"]


def test_no_proxy_match_reaching_the_internet_fails(proxy, internet):
    run = run_probe(agent_env(proxy.url, NO_PROXY_URL=internet.url))

    assert_only_failure(run, "no-proxy")


def test_no_proxy_url_that_does_not_match_no_proxy_fails(proxy):
    # NO_PROXY does not list 127.0.0.1, so the request goes to the proxy:
    # nothing about a bypass was tested, and the run must not pass on it.
    env = agent_env(proxy.url, NO_PROXY="example.invalid", no_proxy="example.invalid")
    run = run_probe(env)

    assert_only_failure(run, "no-proxy")


@pytest.mark.parametrize("mode", ["let-secret-through", "redirect-secret"])
def test_proxy_letting_the_secret_through_fails(start_proxy, mode):
    proxy = start_proxy(mode)
    run = run_probe(agent_env(proxy.url))

    assert_only_failure(run, "secret-blocked")
    assert "went through" in run.details["secret-blocked"]


def test_proxy_refusing_everything_fails_via_proxy(start_proxy):
    proxy = start_proxy("deny-all")
    run = run_probe(agent_env(proxy.url))

    assert_only_failure(run, "via-proxy")
    assert "http 403" in run.details["via-proxy"]


def test_unreachable_proxy_gives_no_verdict_on_the_secret():
    run = run_probe(agent_env(f"http://{LOOPBACK}:{closed_port()}"))

    assert run.returncode == 1
    assert run.verdicts["via-proxy"] == "FAIL"
    assert run.verdicts["secret-blocked"] == "FAIL"


def test_missing_proxy_url_fails_the_proxy_probes():
    run = run_probe({})

    assert run.returncode == 1
    assert run.verdicts["via-proxy"] == "FAIL"
    assert run.verdicts["secret-blocked"] == "FAIL"
    assert "not set" in run.details["via-proxy"]


def test_curl_that_cannot_run_a_probe_does_not_pass_it(proxy):
    # An unsupported scheme is a curl error, not proof that the path is closed.
    run = run_probe(agent_env(proxy.url, EXTERNAL_URL=f"nosuchscheme://{LOOPBACK}/"))

    assert run.verdicts["env-clear"] == "FAIL"
    assert "no verdict" in run.details["env-clear"]


# --- the script refuses to run at all ----------------------------------------


@pytest.mark.parametrize("timeout", ["0", "0.0", "abc", "1.2.3", "-1"])
def test_bad_probe_timeout_stops_before_any_probe(proxy, timeout):
    run = run_probe(agent_env(proxy.url, PROBE_TIMEOUT=timeout))

    assert run.returncode == 2
    assert run.lines == []
    assert "PROBE_TIMEOUT" in run.stderr


def test_missing_curl_stops_before_any_probe(proxy):
    sh = shutil.which("sh")
    completed = subprocess.run(
        [sh, str(SCRIPT)],
        env={"PATH": "/nonexistent", **agent_env(proxy.url)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "curl" in completed.stderr
