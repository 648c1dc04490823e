#!/usr/bin/env bash
# Serves the same wasi:http component with `cirrus serve` and with `jco serve
# --isolate-requests instance` (Node.js; a fresh component instance per request on both) and
# loads each with wrk on loopback in the same run: requests/s, p50 and p99 latency, and the
# ratios cirrus/jco. Every response must be a 2xx (wrk's non-2xx count is checked).
#
#   bench/run_http.sh BUILD_DIR [--component FILE.wasm] [--path /] [--duration 10s]
#                               [--connections 16] [--threads 2] [--workers N] [--no-jco]
#
# The component defaults to the JavaScript hello handler of tests/guests/js/http
# (BUILD_DIR/guests/js_http.wasm, built by componentize-js).
set -euo pipefail

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
build_dir=$(cd "$1" && pwd)
shift
component=$build_dir/guests/js_http.wasm
path=/
duration=10s
connections=16
threads=2
workers=$(nproc)
run_jco=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --component) component=$2; shift 2 ;;
        --path) path=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        --no-jco) run_jco=0; shift ;;
        *) usage ;;
    esac
done

script_dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$script_dir/.." && pwd)
cirrus=$build_dir/src/cli/cirrus
jco=$root/node_modules/.bin/jco
die() { echo "run_http: $*" >&2; exit 1; }
[[ -x $cirrus ]] || die "no $cirrus (build first)"
[[ -f $component ]] || die "no component $component"
command -v wrk >/dev/null || die "wrk is not installed (scripts/setup.sh)"
command -v curl >/dev/null || die "curl is not installed"

tmp=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then kill -TERM -- "-$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until http://127.0.0.1:$1$path answers 2xx (at most $2 seconds).
wait_ready() {
    local deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$1$path" 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    return 1
}

stop_server() {
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# Runs wrk and prints "RPS P50_MS P99_MS NON2XX".
load() {
    local out=$tmp/wrk.txt
    wrk -t "$threads" -c "$connections" -d "$duration" --latency "http://127.0.0.1:$1$path" >"$out"
    python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else n * 1000 if u == "s" else n
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors:.*", text)
print(f"{rps:.1f} {p50:.3f} {p99:.3f} {int(bad.group(1)) if bad else 0}")
if errors: print(errors.group(0), file=sys.stderr)
PY
}

echo "component: $component ($(stat -c %s "$component") bytes); wrk -t$threads -c$connections -d$duration, path $path" >&2

port=$(free_port)
setsid "$cirrus" serve --listen "127.0.0.1:$port" --workers "$workers" "$component" \
    2>"$tmp/cirrus.log" &
server_pid=$!
wait_ready "$port" 60 || { cat "$tmp/cirrus.log" >&2; die "cirrus serve did not answer"; }
read -r c_rps c_p50 c_p99 c_bad < <(load "$port")
stop_server
echo "cirrus serve (--workers $workers): $c_rps req/s, p50 $c_p50 ms, p99 $c_p99 ms, non-2xx $c_bad" >&2
[[ $c_bad == 0 ]] || die "cirrus serve answered $c_bad requests with non-2xx"

if ((run_jco)); then
    port=$(free_port)
    setsid "$jco" serve --isolate-requests instance --host 127.0.0.1 --port "$port" \
        "$component" >"$tmp/jco.log" 2>&1 &
    server_pid=$!
    wait_ready "$port" 180 || { cat "$tmp/jco.log" >&2; die "jco serve did not answer"; }
    read -r j_rps j_p50 j_p99 j_bad < <(load "$port")
    stop_server
    echo "jco serve --isolate-requests instance: $j_rps req/s, p50 $j_p50 ms, p99 $j_p99 ms, non-2xx $j_bad" >&2
    [[ $j_bad == 0 ]] || die "jco serve answered $j_bad requests with non-2xx"
fi

printf '%-40s %12s %10s %10s\n' runner "req/s" "p50 ms" "p99 ms"
printf '%-40s %12s %10s %10s\n' "cirrus serve" "$c_rps" "$c_p50" "$c_p99"
if ((run_jco)); then
    printf '%-40s %12s %10s %10s\n' "jco serve --isolate-requests instance" "$j_rps" "$j_p50" "$j_p99"
    python3 -c "import sys; c,j,cp,jp=map(float,sys.argv[1:]); print(f'cirrus/jco requests/s: {c/j:.1f}x   p99 jco/cirrus: {jp/cp:.1f}x (lower p99 for cirrus: {\"yes\" if cp < jp else \"no\"})')" \
        "$c_rps" "$j_rps" "$c_p99" "$j_p99"
fi
