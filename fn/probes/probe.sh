#!/bin/sh
# Bypass-closure probes for an AI-agent pod behind a Pipelock companion proxy.
#
# Run it from a pod that carries the agent's labels, so the agent's
# NetworkPolicies apply to it too. Each probe prints one line:
#   PASS|FAIL|SKIP <probe> <detail>
# The exit status is 0 only when no probe failed (2: the run could not start).
#
# Configuration (environment):
#   PROXY_URL      the companion proxy, e.g. http://<proxy>.<ns>.svc.cluster.local:8888
#                  (falls back to https_proxy / HTTPS_PROXY)
#   EXTERNAL_URL   an internet URL the proxy allows (default https://example.com)
#   EXTERNAL_TCP   host:port for the raw TCP dial (default 1.1.1.1:443)
#   NO_PROXY_URL   a URL whose host matches NO_PROXY (empty: that probe is skipped)
#   SECRET_URL     a URL carrying a synthetic secret (default: EXTERNAL_URL over
#                  plain http with an example AWS access key appended)
#   TLS_INTERCEPTION  non-empty when the proxy intercepts TLS: an https
#                  EXTERNAL_URL must then carry a certificate of PIPELOCK_CA
#   PIPELOCK_CA    the Pipelock CA certificate alone (the trust bundle is in
#                  CURL_CA_BUNDLE, as the agent has it)
#   PASSTHROUGH_URL  an https URL on a passthrough domain: it must verify with
#                  the bundle and keep its public certificate (empty: skipped)
#   PROBE_TIMEOUT  seconds allowed per probe (default 5)
#
# POSIX sh and curl only: it runs in a small curl image (busybox sh) as well as
# under bash.

set -u

# AWS's documented example key: matches the access-key pattern, opens nothing.
SECRET_QUERY='key=AKIAIOSFODNN7EXAMPLE'

EXTERNAL_URL="${EXTERNAL_URL:-https://example.com}"
EXTERNAL_TCP="${EXTERNAL_TCP:-1.1.1.1:443}"
NO_PROXY_URL="${NO_PROXY_URL:-}"
PROXY_URL="${PROXY_URL:-${https_proxy:-${HTTPS_PROXY:-}}}"
TLS_INTERCEPTION="${TLS_INTERCEPTION:-}"
PIPELOCK_CA="${PIPELOCK_CA:-}"
PASSTHROUGH_URL="${PASSTHROUGH_URL:-}"
PROBE_TIMEOUT="${PROBE_TIMEOUT:-5}"

failures=0

usage_error() {
    printf 'probe.sh: %s\n' "$1" >&2
    exit 2
}

report() {
    printf '%s %s %s\n' "$1" "$2" "$3"
    if [ "$1" = FAIL ]; then
        failures=$((failures + 1))
    fi
}

# A plain-http URL: through a CONNECT tunnel the proxy sees only host:port, so
# an https URL would hide the key from Pipelock unless TLS interception is on.
default_secret_url() {
    plain_url="http://${EXTERNAL_URL#*://}"
    case $plain_url in
        *\?*) printf '%s&%s\n' "$plain_url" "$SECRET_QUERY" ;;
        *) printf '%s?%s\n' "$plain_url" "$SECRET_QUERY" ;;
    esac
}

check_timeout() {
    case $PROBE_TIMEOUT in
        *[!0-9.]* | *.*.* | '' | .) usage_error "PROBE_TIMEOUT must be a number of seconds, got '$PROBE_TIMEOUT'" ;;
    esac
    case $PROBE_TIMEOUT in
        *[1-9]*) ;;
        *) usage_error "PROBE_TIMEOUT must be more than 0" ;;
    esac
}

clear_proxy_env() {
    unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy \
        FTP_PROXY ftp_proxy NO_PROXY no_proxy
}

# Runs one bounded curl and prints "<exit> <http_code> <http_connect>
# <num_connects> <proxy_used>". -q skips any curlrc; proxy_used is empty on
# curl older than 8.7, which the callers allow for.
curl_probe() {
    curl_out=$(curl -q --silent --output /dev/null \
        --connect-timeout "$PROBE_TIMEOUT" --max-time "$PROBE_TIMEOUT" \
        --write-out '%{http_code} %{http_connect} %{num_connects} %{proxy_used}' \
        "$@" </dev/null 2>/dev/null)
    printf '%s %s\n' "$?" "$curl_out"
}

# Splits a curl_probe line into the variables the verdicts read.
read_result() {
    # shellcheck disable=SC2086 # the line is digits and spaces: split on purpose
    set -- $1
    curl_exit=${1:-1}
    http_code=${2:-000}
    http_connect=${3:-000}
    num_connects=${4:-0}
    proxy_used=${5:-}
}

curl_reason() {
    case $1 in
        0) echo "curl exit 0" ;;
        1) echo "curl exit 1: protocol not supported by this curl" ;;
        3) echo "curl exit 3: malformed URL" ;;
        5) echo "curl exit 5: could not resolve proxy" ;;
        6) echo "curl exit 6: could not resolve host" ;;
        7) echo "curl exit 7: could not connect" ;;
        28) echo "curl exit 28: timed out" ;;
        35) echo "curl exit 35: TLS handshake failed" ;;
        52) echo "curl exit 52: empty reply" ;;
        56) echo "curl exit 56: connection reset or closed" ;;
        60) echo "curl exit 60: TLS certificate not trusted; set CURL_CA_BUNDLE to the proxy CA when TLS interception is on" ;;
        *) echo "curl exit $1" ;;
    esac
}

connected() {
    [ "$num_connects" != 0 ] || [ "$http_code" != 000 ]
}

# What a "must not get out" probe reports: a connection or any HTTP answer is
# a way out; only a network-level failure counts as blocked, so a curl that
# cannot run the probe at all (bad URL, missing protocol) never passes.
report_must_not_connect() {
    probe=$1
    target=$2
    if connected; then
        if [ "$http_code" != 000 ]; then
            report FAIL "$probe" "reached $target (http $http_code)"
        else
            report FAIL "$probe" "connected to $target ($(curl_reason "$curl_exit"))"
        fi
        return
    fi
    case $curl_exit in
        6 | 7 | 28) report PASS "$probe" "$target unreachable ($(curl_reason "$curl_exit"))" ;;
        *) report FAIL "$probe" "no verdict for $target ($(curl_reason "$curl_exit"))" ;;
    esac
}

probe_dns() {
    if [ -z "$PROXY_URL" ]; then
        report FAIL dns "PROXY_URL is not set"
        return
    fi
    # The proxy's own name goes through the cluster DNS under the same DNS
    # rule as the proxy's lookups (and /health answers a direct request).
    host=${PROXY_URL#*://}
    host=${host%%/*}
    read_result "$(clear_proxy_env; curl_probe "${PROXY_URL%/}/health")"
    case $curl_exit in
        0) report PASS dns "resolved ${host%:*} through the cluster DNS" ;;
        7) report PASS dns "resolved ${host%:*} (the proxy refused the connection)" ;;
        6) report FAIL dns "could not resolve ${host%:*}: DNS is blocked or goes elsewhere; check spec.dns (docs/dns.md)" ;;
        *) report FAIL dns "no answer for ${host%:*} ($(curl_reason "$curl_exit"))" ;;
    esac
}

probe_raw_tcp() {
    # A direct TCP dial, whatever the protocol: the NetworkPolicy must drop it.
    read_result "$(clear_proxy_env; curl_probe --noproxy '*' "telnet://$EXTERNAL_TCP")"
    report_must_not_connect raw-tcp "$EXTERNAL_TCP"
}

probe_env_clear() {
    # What a subprocess gets after clearing every proxy variable.
    read_result "$(clear_proxy_env; curl_probe "$EXTERNAL_URL")"
    report_must_not_connect env-clear "$EXTERNAL_URL"
}

probe_no_proxy() {
    if [ -z "$NO_PROXY_URL" ]; then
        report SKIP no-proxy "NO_PROXY_URL is not set"
        return
    fi
    # The proxy variables stay as the agent has them: a NO_PROXY match makes
    # the client dial direct, and that dial must be dropped.
    read_result "$(curl_probe "$NO_PROXY_URL")"
    if [ "$proxy_used" = 1 ]; then
        report FAIL no-proxy "request went through the proxy: NO_PROXY_URL does not match NO_PROXY, so no bypass was tested"
        return
    fi
    report_must_not_connect no-proxy "$NO_PROXY_URL"
}

# Callers clear the proxy variables first, so no NO_PROXY entry can route
# the request around the proxy. Further arguments go to curl.
curl_via_proxy() {
    url=$1
    shift
    curl_probe --proxy "$PROXY_URL" "$@" "$url"
}

probe_via_proxy() {
    if [ -z "$PROXY_URL" ]; then
        report FAIL via-proxy "PROXY_URL is not set"
        return
    fi
    read_result "$(clear_proxy_env; curl_via_proxy "$EXTERNAL_URL")"
    # Pipelock answers 403 for what it blocks and 5xx when it cannot reach the
    # upstream; any other answer came from the upstream.
    case $http_connect in
        000 | 200) ;;
        *)
            report FAIL via-proxy "CONNECT refused by the proxy (http $http_connect)"
            return
            ;;
    esac
    case $http_code in
        000) report FAIL via-proxy "no response through the proxy ($(curl_reason "$curl_exit"))" ;;
        403 | 407) report FAIL via-proxy "refused by the proxy (http $http_code): use an EXTERNAL_URL the proxy allows" ;;
        5??) report FAIL via-proxy "upstream not reached through the proxy (http $http_code): can the proxy resolve it (spec.dns) and reach it (spec.proxyEgress)?" ;;
        *) report PASS via-proxy "upstream answered through the proxy (http $http_code)" ;;
    esac
}

probe_secret_blocked() {
    if [ -z "$PROXY_URL" ]; then
        report FAIL secret-blocked "PROXY_URL is not set"
        return
    fi
    read_result "$(clear_proxy_env; curl_via_proxy "$SECRET_URL")"
    # The secret URL itself is left out of the details: logs keep them.
    if [ "$http_code" = 403 ] || [ "$http_connect" = 403 ]; then
        report PASS secret-blocked "blocked by the proxy (http 403)"
        return
    fi
    case $http_code in
        2?? | 3??) report FAIL secret-blocked "the secret went through the proxy (http $http_code)" ;;
        000)
            case $curl_exit in
                52 | 56)
                    if connected; then
                        report PASS secret-blocked "connection closed by the proxy ($(curl_reason "$curl_exit"))"
                    else
                        report FAIL secret-blocked "no verdict ($(curl_reason "$curl_exit"))"
                    fi
                    ;;
                *) report FAIL secret-blocked "no verdict from the proxy ($(curl_reason "$curl_exit"))" ;;
            esac
            ;;
        *) report FAIL secret-blocked "not blocked by the proxy (http $http_code)" ;;
    esac
}

probe_tls_intercept() {
    if [ -z "$TLS_INTERCEPTION" ]; then
        report SKIP tls-intercept "TLS interception is off"
        return
    fi
    case $EXTERNAL_URL in
        https://*) ;;
        *)
            report SKIP tls-intercept "EXTERNAL_URL is not https"
            return
            ;;
    esac
    if [ -z "$PIPELOCK_CA" ] || [ ! -r "$PIPELOCK_CA" ]; then
        report FAIL tls-intercept "PIPELOCK_CA is not a readable file: the pod has no Pipelock CA"
        return
    fi
    # Verified against the Pipelock CA alone: only a certificate Pipelock
    # minted passes (via-proxy already used the agent's bundle).
    read_result "$(clear_proxy_env; curl_via_proxy "$EXTERNAL_URL" --cacert "$PIPELOCK_CA")"
    case $curl_exit in
        0) report PASS tls-intercept "$EXTERNAL_URL carries a certificate of the Pipelock CA" ;;
        60) report FAIL tls-intercept "$EXTERNAL_URL does not carry a certificate of the Pipelock CA: the proxy did not intercept it" ;;
        *) report FAIL tls-intercept "no verdict for $EXTERNAL_URL ($(curl_reason "$curl_exit"))" ;;
    esac
}

probe_tls_passthrough() {
    if [ -z "$PASSTHROUGH_URL" ]; then
        report SKIP tls-passthrough "PASSTHROUGH_URL is not set"
        return
    fi
    # With the agent's bundle (CURL_CA_BUNDLE): the public roots must verify it.
    read_result "$(clear_proxy_env; curl_via_proxy "$PASSTHROUGH_URL")"
    if [ "$curl_exit" != 0 ]; then
        if [ "$http_connect" = 403 ]; then
            report FAIL tls-passthrough "CONNECT refused by the proxy (http 403): the host must be allowed too"
        elif [ "$curl_exit" = 60 ]; then
            report FAIL tls-passthrough "$PASSTHROUGH_URL does not verify with the trust bundle: its public roots are missing"
        else
            report FAIL tls-passthrough "no verdict for $PASSTHROUGH_URL ($(curl_reason "$curl_exit"))"
        fi
        return
    fi
    if [ -n "$PIPELOCK_CA" ] && [ -r "$PIPELOCK_CA" ]; then
        # Against the Pipelock CA alone it must not verify: not intercepted.
        read_result "$(clear_proxy_env; curl_via_proxy "$PASSTHROUGH_URL" --cacert "$PIPELOCK_CA")"
        case $curl_exit in
            60) ;;
            0)
                report FAIL tls-passthrough "$PASSTHROUGH_URL carries a certificate of the Pipelock CA: it was intercepted"
                return
                ;;
            *)
                report FAIL tls-passthrough "no verdict for $PASSTHROUGH_URL ($(curl_reason "$curl_exit"))"
                return
                ;;
        esac
    fi
    report PASS tls-passthrough "$PASSTHROUGH_URL keeps its public certificate"
}

main() {
    command -v curl >/dev/null 2>&1 || usage_error "curl is not installed"
    check_timeout
    SECRET_URL="${SECRET_URL:-$(default_secret_url)}"

    probe_dns
    probe_raw_tcp
    probe_env_clear
    probe_no_proxy
    probe_via_proxy
    probe_secret_blocked
    probe_tls_intercept
    probe_tls_passthrough

    [ "$failures" -eq 0 ]
}

main
