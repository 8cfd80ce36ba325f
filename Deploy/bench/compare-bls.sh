#!/usr/bin/env bash
# BLS12-381 and KZG precompiles: Lockstep's `bench precompiles` next to native libraries on this machine in one run
# (c-kzg-4844 on blst, revm's 0x0a and 0x01 through pyrevm, arkworks, chia's blspy on blst), with the ratio
# Lockstep ns/gas over the reference's ns/gas (below 1.0: Lockstep is faster).
# Usage: Deploy/bench/compare-bls.sh [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.venv"
benchmarks="$root/.build/release/lockstep-bench"  # what `lockstep bench` runs
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import eth_account, ckzg" 2>/dev/null || "$venv/bin/pip" install -q -r "$root/Deploy/requirements-test.txt"
"$venv/bin/python" -c "import pyrevm, py_arkworks_bls12381, blspy" 2>/dev/null \
    || "$venv/bin/pip" install -q pyrevm==0.3.7 py_arkworks_bls12381==0.5.0 blspy==2.0.3
[ -x "$benchmarks" ] || (cd "$root" && swift build -c release --product lockstep-bench)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== references (native, through Python bindings) =="
"$venv/bin/python" "$root/Deploy/bench/bls_reference.py" --json "$work/reference.json"
echo "== lockstep bench precompiles =="
"$benchmarks" precompiles ${1:+--quick} --json > "$work/lockstep.json"
echo "== ratio (lockstep ns/gas / reference ns/gas; below 1.0 is faster) =="
"$venv/bin/python" - "$work/reference.json" "$work/lockstep.json" <<'PY'
import json, sys
ref = {row["name"]: row for row in json.load(open(sys.argv[1]))}
ours = {row["name"]: row for row in json.load(open(sys.argv[2]))["precompiles"]}
pairs = [("point evaluation", "ckzg verify_kzg_proof (blst)"), ("point evaluation", "pyrevm 0x0a point evaluation (- overhead)"),
         ("ecrecover", "pyrevm 0x01 ecrecover (- overhead)"), ("bls g1add", "arkworks g1 add"), ("bls g2add", "arkworks g2 add"),
         ("bls pairing k=1", "arkworks pairing_check k=1"), ("bls pairing k=2", "arkworks pairing_check k=2"),
         ("bls pairing k=4", "arkworks pairing_check k=4"), ("bls map fp to g1", "arkworks map fp to g1"),
         ("bls map fp2 to g2", "arkworks map fp2 to g2")]
for k in (1, 2, 8, 32, 128):
    suffix = " (mul)" if k == 1 else ""
    pairs += [(f"bls g1msm k={k}", f"arkworks g1 msm k={k}{suffix}"), (f"bls g2msm k={k}", f"arkworks g2 msm k={k}{suffix}")]
print(f"{'lockstep':20s} {'ns/gas':>8s}   {'reference':44s} {'ns/gas':>8s}  ratio")
for mine, theirs in pairs:
    if mine not in ours or theirs not in ref or not ref[theirs]["gas"]: continue
    a = ours[mine]["ns_per_gas"]; b = ref[theirs]["ns_per_call"] / ref[theirs]["gas"]
    print(f"{mine:20s} {a:8.2f}   {theirs:44s} {b:8.2f}  {a / b:5.2f}")
print("(arkworks MSM rows skip the subgroup checks EIP-2537 requires; Lockstep's include them)")
PY
