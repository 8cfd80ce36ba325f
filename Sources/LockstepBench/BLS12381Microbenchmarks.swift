import EVM
import Primitives

/// Timings of the BLS12-381 building blocks (field multiplication, Miller loop, final exponentiation), for
/// `lockstep bench precompiles`: the precompile figures alone do not say where the time goes. It reaches EVM's
/// BLS12-381 internals through `package` access, so each field multiplication here is a call into EVM (Swift 6.3 does
/// not inline `@inlinable package` code across modules), where the precompiles have it inlined: the chained Fp and
/// Fp2 figures include that call.
enum BLS12381Microbenchmarks {
    /// One measured operation.
    struct Result: Sendable {
        /// What was measured.
        var name: String
        /// Nanoseconds per operation (best of three batches).
        var nanoseconds: Double
    }

    /// Runs each operation in three batches of about `batchNanoseconds` / 3 and keeps the best.
    static func run(batchNanoseconds: UInt64) -> [Result] {
        typealias Fp = BLS12381.Fp
        typealias Fp2 = BLS12381.Fp2
        let clock = ContinuousClock()
        func nanoseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        }
        /// Best nanoseconds per call of `body`, which returns a value folded into a sink so it is not optimised out.
        func measure(_ body: () -> UInt64) -> Double {
            var sink: UInt64 = 0
            let single = max(nanoseconds(clock.measure { sink ^= body() }), 1)
            let iterations = max(3, Int(Double(batchNanoseconds) / 3 / single))
            var best = Double.infinity
            for _ in 0..<3 {
                let elapsed = clock.measure {
                    for _ in 0..<iterations { sink &+= body() }
                }
                best = min(best, nanoseconds(elapsed) / Double(iterations))
            }
            if sink == 0x5eed { print("") }  // keeps the results alive
            return best
        }
        var results: [Result] = []
        let a = Fp(small: 0x1234_5678_9abc) * Fp.rSquared
        var chain = a
        results.append(Result(name: "bls fp mul (chained)", nanoseconds: measure {
            for _ in 0..<1000 { chain = chain * a }
            return chain.l0
        } / 1000))
        let b = Fp2(c0: a, c1: a.squared)
        var chain2 = b
        results.append(Result(name: "bls fp2 mul (chained)", nanoseconds: measure {
            for _ in 0..<100 { chain2 = chain2 * b }
            return chain2.c0.l0
        } / 100))
        let p = BLS12381.g1Generator
        let q = BLS12381.g2Generator
        let prepared = BLS12381.Pairing.G2Prepared(q)
        let pairs = [(p, prepared), (p.negated, prepared)]
        results.append(Result(name: "bls G2 line precomputation", nanoseconds: measure {
            BLS12381.Pairing.G2Prepared(q).lines[0].0.c0.l0
        }))
        results.append(Result(name: "bls miller loop 2 pairs", nanoseconds: measure {
            BLS12381.Pairing.millerLoop(pairs).c0.c0.c0.l0
        }))
        let normalized = prepared.normalized
        let fixedPairs = [(p, normalized), (p.negated, normalized)]
        results.append(Result(name: "bls miller loop 2 fixed-Q pairs", nanoseconds: measure {
            BLS12381.Pairing.millerLoop(fixedPairs).c0.c0.c0.l0
        }))
        let f = BLS12381.Pairing.millerLoop(pairs)
        results.append(Result(name: "bls final exponentiation", nanoseconds: measure {
            BLS12381.Pairing.finalExponentiation(f).c0.c0.c0.l0
        }))
        results.append(Result(name: "bls pairing 2 pairs (no decoding)", nanoseconds: measure {
            BLS12381.Pairing.productIsOne([(p, q), (p.negated, q)]) ? 1 : 0
        }))
        // Sidecar checks of the L1 pool: the blob whose i-th element is i² + 7 with its c-kzg-4844 commitment and
        // blob proof; the cell check runs on 128 copies of a valid point (it does all its work before the final
        // pairing says no, so the time is that of a valid sidecar).
        let blob: [UInt8] = (0..<UInt64(4096)).flatMap { i -> [UInt8] in
            [UInt8](repeating: 0, count: 24) + withUnsafeBytes(of: (i * i + 7).bigEndian) { Array($0) }
        }
        let commitment = (try? Hex.decode("9557ada58d1ea7f48806d66720bb05d148ce52dfab866d26b638e3c838db4d390a37ff3ea7fedf29e9c9181b3ea9e589", requirePrefix: false)) ?? []
        let proof = (try? Hex.decode("8fead259f64e49547c34dd870f035051d38ed123f33c2fba24ec404a5a45563ff7df314c83fa96c64cdef9bc84909697", requirePrefix: false)) ?? []
        results.append(Result(name: "blob proof check (1 blob)", nanoseconds: measure {
            (try? BlobKZG.verify(blob: blob, commitment: commitment, proof: proof)) != nil ? 1 : 0
        }))
        let cellProofs = [[UInt8]](repeating: proof, count: BlobKZG.cellsPerBlob)
        results.append(Result(name: "cell proofs check (1 blob, 128)", nanoseconds: measure {
            (try? BlobKZG.verifyCellProofs(blobs: [blob], commitments: [commitment], proofs: cellProofs)) != nil ? 1 : 0
        }))
        return results
    }
}
