#!/usr/bin/env bash
# Starts the loopback JSON-RPC state server (Tests/Support/state_server.py), runs a lockstep command with the
# server's URL appended as the last argument, then stops the server.
# Examples:
#   Deploy/bench/with-state-server.sh bench bundle --state-server
#   Deploy/bench/with-state-server.sh statetest ../shared/fixtures/eest/state_tests --forked
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
lockstep="$root/.build/release/lockstep"
[ -x "$lockstep" ] || (cd "$root" && swift build -c release --product lockstep)
# `lockstep bench` runs the separate lockstep-bench executable.
if [ "${1:-}" = bench ] && [ ! -x "$root/.build/release/lockstep-bench" ]; then
    (cd "$root" && swift build -c release --product lockstep-bench)
fi
work="$(mktemp -d)"
mkfifo "$work/lifeline"
# The server exits when its stdin closes: the fifo's writer is this script (fd 9), so it never outlives us.
python3 "$root/Tests/Support/state_server.py" < "$work/lifeline" > "$work/port" &
server=$!
exec 9> "$work/lifeline"
trap 'exec 9>&-; kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(head -1 "$work/port")"
[ -n "$port" ] || { echo "with-state-server: the state server did not start" >&2; exit 1; }
"$lockstep" "$@" "http://127.0.0.1:$port"
