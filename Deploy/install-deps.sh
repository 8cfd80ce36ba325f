#!/usr/bin/env bash
# Installs what Lockstep needs on Debian 12: system libraries (apt) and the Python test tools (PyPI, into .venv).
# Idempotent: it only installs what is missing, so `make run` and `make test` can call it every time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# postgresql: the builder's intake-replica test starts a throwaway server (Tests/Interop/test_postgres_intake.py).
packages=(libsecp256k1-dev libgmp-dev libcurl4-openssl-dev libsqlite3-dev pkg-config python3-venv postgresql)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing Debian packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: swift is not on PATH; install Swift 6.3 (https://www.swift.org/install/linux/) and retry" >&2
    exit 1
fi

# Python tools used by the interop tests. Skipped with SKIP_PYTHON=1.
if [ "${SKIP_PYTHON:-0}" != "1" ]; then
    venv="$root/.venv"
    stamp="$venv/.requirements.stamp"
    req="$root/Deploy/requirements-test.txt"
    if [ ! -x "$venv/bin/python" ]; then
        echo "install-deps: creating Python venv in .venv"
        python3 -m venv "$venv"
    fi
    if [ ! -f "$stamp" ] || ! cmp -s "$req" "$stamp"; then
        echo "install-deps: installing Python test tools from $req"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
        cp "$req" "$stamp"
    fi
fi
