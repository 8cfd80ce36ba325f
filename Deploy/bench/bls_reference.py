# Reference timings of native BLS12-381 and KZG implementations through their Python bindings, in the shape of
# `lockstep bench precompiles` (ns per call, the gas EIP-2537/EIP-4844 charge, ns per gas). Run by compare-bls.sh,
# which installs the bindings; with --json FILE the rows are also written as JSON for the side-by-side table.
import hashlib, importlib.util, json, os, random, sys, time
import ckzg
from py_arkworks_bls12381 import G1Point, G2Point, GT, Scalar
import blspy
import pyrevm

def best_ns(fn, min_time=0.3, batches=5):
    fn()
    t = time.perf_counter_ns(); fn(); single = max(time.perf_counter_ns() - t, 1)
    iters = max(3, int(min_time * 1e9 / batches / single))
    best = None
    for _ in range(batches):
        t = time.perf_counter_ns()
        for _ in range(iters):
            fn()
        d = (time.perf_counter_ns() - t) / iters
        best = d if best is None else min(best, d)
    return best

rows = []
def report(name, ns, gas=None):
    rows.append({"name": name, "ns_per_call": ns, "gas": gas})
    g = "" if gas is None else "%8d %8.2f" % (gas, ns / gas)
    print("%-44s %12.0f %s" % (name, ns, g), flush=True)

r = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
random.seed(1)
print("%-44s %12s %8s %8s" % ("operation", "ns/call", "gas", "ns/gas"))

# --- ckzg (c-kzg-4844 2.1.8 on blst) ---
# The mainnet trusted setup as eth-account ships it (eth-account is in the test venv).
setup = os.path.join(os.path.dirname(importlib.util.find_spec("eth_account").origin),
                     "typed_transactions", "blob_transactions", "kzg_trusted_setup.txt")
ts = ckzg.load_trusted_setup(setup, 0)
blob = b"".join(random.randrange(r).to_bytes(32, "big") for _ in range(4096))
commitment = ckzg.blob_to_kzg_commitment(blob, ts)
z = random.randrange(r).to_bytes(32, "big")
proof, y = ckzg.compute_kzg_proof(blob, z, ts)
assert ckzg.verify_kzg_proof(commitment, z, y, proof, ts)
report("ckzg verify_kzg_proof (blst)", best_ns(lambda: ckzg.verify_kzg_proof(commitment, z, y, proof, ts)), 50000)
vh = b"\x01" + hashlib.sha256(commitment).digest()[1:]
report("ckzg verify + sha256 versioned hash", best_ns(lambda: (hashlib.sha256(commitment).digest(), ckzg.verify_kzg_proof(commitment, z, y, proof, ts))), 50000)

# --- pyrevm 0.3.7 (revm-precompile 6.0.0: c-kzg/blst for 0x0a, libsecp256k1 for 0x01) ---
pe_input = bytes.fromhex(
    "01ad7666ef9d8f53b5adf54f029b13b6f171b1d0bd346a2ede315d3e243484ef"
    "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "93efc82d2017e9c57834a1246463e64774e56183bb247c8fc9dd98c56817e878d97b05f5c8d900acf1fbbbca6f146556"
    "92c51ff81dd71dab71cefecd79e8274b4b7ba36a0f40e2dc086bc4061c7f63249877db23297212991fd63e07b7ebc348")
ecrec_input = bytes.fromhex(
    "38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
    "000000000000000000000000000000000000000000000000000000000000001b"
    "38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
    "789d1dd423d25f0772d2748d60f7e4b81bb14d086eba8e8e8efb6dcff8a4ae02")
caller = "0x" + "11" * 20
evm = pyrevm.EVM(spec_id="CANCUN")
evm.set_balance(caller, 10**20)
def call(addr, data):
    return evm.message_call(caller, "0x" + "00" * 19 + addr, calldata=data, gas=1_000_000)
out = call("0a", pe_input)
assert len(out) == 64 and out[31] == 0 and out[30] == 0x10, out.hex()
out = call("01", ecrec_input)
assert len(out) == 32, out.hex()
base = best_ns(lambda: call("04", b""))
report("pyrevm empty identity call (overhead)", base)
pe = best_ns(lambda: call("0a", pe_input))
report("pyrevm 0x0a point evaluation (raw)", pe)
report("pyrevm 0x0a point evaluation (- overhead)", pe - base, 50000)
ec = best_ns(lambda: call("01", ecrec_input))
report("pyrevm 0x01 ecrecover (raw)", ec)
report("pyrevm 0x01 ecrecover (- overhead)", ec - base, 3000)

# --- arkworks (py_arkworks_bls12381 0.5.0) ---
g1, g2 = G1Point(), G2Point()
def rs(): return Scalar(random.randrange(r))
P = [g1 * rs() for _ in range(128)]
Q = [g2 * rs() for _ in range(128)]
S = [rs() for _ in range(128)]
for k in (1, 2, 4):
    ps, qs = P[:k], Q[:k]
    report("arkworks pairing_check k=%d" % k, best_ns(lambda: GT.pairing_check(ps, qs)), 37700 + 32600 * k)
report("arkworks pairing (1 Miller loop + final exp)", best_ns(lambda: GT.pairing(P[0], Q[0])))
report("arkworks g1 add", best_ns(lambda: P[0] + P[1]), 375)
report("arkworks g2 add", best_ns(lambda: Q[0] + Q[1]), 600)
g1disc = {1: 1000, 2: 949, 8: 728, 32: 627, 128: 519}
g2disc = {1: 1000, 2: 1000, 8: 796, 32: 646, 128: 524}
for k in (1, 2, 8, 32, 128):
    ps, ss = P[:k], S[:k]
    f = (lambda: ps[0] * ss[0]) if k == 1 else (lambda: G1Point.multiexp_unchecked(ps, ss))
    report("arkworks g1 msm k=%d%s" % (k, " (mul)" if k == 1 else ""), best_ns(f), k * 12000 * g1disc[k] // 1000)
for k in (1, 2, 8, 32, 128):
    qs, ss = Q[:k], S[:k]
    f = (lambda: qs[0] * ss[0]) if k == 1 else (lambda: G2Point.multiexp_unchecked(qs, ss))
    report("arkworks g2 msm k=%d%s" % (k, " (mul)" if k == 1 else ""), best_ns(f), k * 22500 * g2disc[k] // 1000)
fp = (random.randrange(2**376)).to_bytes(48, "big")
fp2 = (random.randrange(2**376)).to_bytes(48, "big") + (random.randrange(2**376)).to_bytes(48, "big")
report("arkworks map fp to g1", best_ns(lambda: G1Point.map_from_fp_be(fp)), 5500)
report("arkworks map fp2 to g2", best_ns(lambda: G2Point.map_from_fp2_be(fp2)), 23800)
report("arkworks g1 subgroup check", best_ns(lambda: P[0].is_in_subgroup()))
report("arkworks g2 subgroup check", best_ns(lambda: Q[0].is_in_subgroup()))

# --- blspy 2.0.3 (chia bls-signatures on relic... v2 on blst) ---
bp = blspy.G1Element.generator()
bq = blspy.G2Element.generator()
report("blspy pair (1 Miller loop + final exp)", best_ns(lambda: bp.pair(bq)))
sk = blspy.AugSchemeMPL.key_gen(bytes(range(32)))
sig = blspy.AugSchemeMPL.sign(sk, b"lockstep")
pk = sk.get_g1()
report("blspy AugSchemeMPL.verify (hash + 2 pairings)", best_ns(lambda: blspy.AugSchemeMPL.verify(pk, b"lockstep", sig)))

if len(sys.argv) == 3 and sys.argv[1] == "--json":
    with open(sys.argv[2], "w") as f:
        json.dump(rows, f)
