#!/usr/bin/env bash
# Runs revm (pyrevm, ../shared/bench/bench_pyrevm.py) and Lockstep's `bench evm` on this machine in one session and
# prints the ratio per program (Lockstep time / revm time: below 1.0 means Lockstep is faster).
# Usage: Deploy/bench/compare-revm.sh [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench="${LOCKSTEP_BENCH_DIR:-$root/../shared/bench}"
venv="$root/.venv"
benchmarks="$root/.build/release/lockstep-bench"  # what `lockstep bench` runs
[ -f "$bench/bench_pyrevm.py" ] || { echo "compare-revm: $bench/bench_pyrevm.py not found (set LOCKSTEP_BENCH_DIR)" >&2; exit 1; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import pyrevm" 2>/dev/null || "$venv/bin/pip" install -q pyrevm==0.3.7
[ -x "$benchmarks" ] || (cd "$root" && swift build -c release --product lockstep-bench)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== revm (pyrevm 0.3.7) =="
(cd "$work" && "$venv/bin/python" "$bench/bench_pyrevm.py" "$@")
echo "== lockstep =="
"$benchmarks" evm --bench-dir "$bench" ${1:+--quick} | tee "$work/lockstep.txt"
"$benchmarks" evm --bench-dir "$bench" ${1:+--quick} --json > "$work/lockstep.json"
echo "== ratio (lockstep / revm, per opcode; below 1.0 is faster than revm) =="
"$venv/bin/python" - "$work/results_pyrevm.json" "$work/lockstep.json" <<'PY'
import json, sys
revm = json.load(open(sys.argv[1])); ours = json.load(open(sys.argv[2]))
for name, row in revm["programs"].items():
    mine = ours["programs"].get(name)
    if not mine: continue
    print(f"{name:12s} revm {row['ns_per_op']:7.2f} ns/op   lockstep {mine['ns_per_op']:7.2f} ns/op   ratio {mine['ns_per_op'] / row['ns_per_op']:5.2f}"
          f"   gas/iter revm {row['gas_per_iter_measured']:.0f} lockstep {mine['gas_per_iter_measured']:.0f}")
rs, ls = revm["snailtracer"], ours["snailtracer"]
print(f"snailtracer  revm {rs['ms']:7.2f} ms      lockstep {ls['ms']:7.2f} ms      ratio {ls['ms'] / rs['ms']:5.2f}"
      f"   gas_used revm {rs['gas_used']} lockstep {ls['gas_used']}")
PY
