// swift-tools-version: 6.1
import PackageDescription

// Lockstep: a synchronous-composability block builder for Ethereum rollups.
// Modules follow DESIGN.md §2; lower layers never import upper ones:
//   lockstep, LockstepBench → L1Devnet / Sequencer → EthRPC → Node → Rollup / RPCServer → ChainTestRunner /
//   StateTestRunner → Chain / Store → State → EVM / JSONRPCClient → JSON → Primitives → C libraries.
// One node core serves both chains: Node (chain thread, event-log journal, block production through
// Chain.BlockBuilder, subscriptions, fork wiring) under EthRPC (the eth_* API over a backend protocol, where domain
// errors become JSON-RPC errors). L1Devnet holds only the devnet L1's policy (bundles, slots, test methods);
// Sequencer only the L2's (rollup header fields, system calls, certificates).
// The server and the client share only JSON: RPCServer does not import JSONRPCClient.
// The benchmarks are their own executable (lockstep-bench; `lockstep bench` runs it), so product modules hold no
// benchmark code. Internals one module shares with another (EVM's BLS12-381 arithmetic for the benchmarks, the
// commands' JSONOutput) use `package` access, not `public`.
let hotPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "Lockstep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lockstep", targets: ["lockstep"]),
        .executable(name: "lockstep-bench", targets: ["LockstepBench"]),
        .executable(name: "lockstep-fuzz", targets: ["LockstepFuzz"]),
        .library(name: "Primitives", targets: ["Primitives"]),
        .library(name: "EVM", targets: ["EVM"]),
        .library(name: "State", targets: ["State"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "JSONRPCClient", targets: ["JSONRPCClient"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Chain", targets: ["Chain"]),
        .library(name: "Rollup", targets: ["Rollup"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        // Hummingbird logs through it already; named here to quiet embedded servers.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The builder's intake replicas share PostgreSQL (IntakePostgres).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C libraries: thin system-library targets, with shims where Swift cannot call the C API directly.
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1",
                       providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(name: "CGMP", providers: [.apt(["libgmp-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CCurl",
                linkerSettings: [.linkedLibrary("curl")]),

        // Header-only C helpers for hot arithmetic Swift cannot express: divq, the MULX/ADX BLS12-381 multiplication.
        .target(name: "CPrimitivesSupport"),
        // U256, Address, Hash, hex, RLP, Keccak, SHA-256, secp256k1, transactions.
        .target(name: "Primitives",
                dependencies: ["CSecp256k1", "CPrimitivesSupport"],
                swiftSettings: hotPathSettings),
        // Interpreter, gas, precompiles, journaled state, transaction processing.
        .target(name: "EVM",
                dependencies: ["Primitives", "CGMP", "CPrimitivesSupport"],
                swiftSettings: hotPathSettings),
        // Merkle-Patricia trie, state roots and proofs, forked (remote) state and copy-on-write overlays.
        .target(name: "State",
                dependencies: ["EVM", "JSON", "JSONRPCClient", "Primitives"],
                swiftSettings: hotPathSettings),
        // JSON values, the strict RFC 8259 parser, deterministic serialization, Ethereum quantity and data encodings;
        // the commands' ordered, pretty-printed output (package access).
        .target(name: "JSON",
                dependencies: ["Primitives"]),
        // JSON-RPC 2.0 client over libcurl: batching, keep-alive, deadlines, retries.
        .target(name: "JSONRPCClient",
                dependencies: ["CCurl", "JSON", "Primitives"]),
        // Durable chain store on SQLite (WAL): flat state, blocks, atomic commit per block.
        .target(name: "Store",
                dependencies: ["CSQLite", "EVM", "State", "Primitives"]),
        // Blocks, headers, receipts, block validation and execution, system contracts, transaction pool, builder.
        .target(name: "Chain",
                dependencies: ["EVM", "State", "Primitives"]),
        // ethereum/tests and execution-spec-tests state-test runner, EIP-3155 traces.
        .target(name: "StateTestRunner",
                dependencies: ["EVM", "State", "JSON", "JSONRPCClient", "Primitives"]),

        // JSON-RPC 2.0 server over HTTP and WebSocket (Hummingbird): dispatch, batches, limits, error codes, metrics.
        .target(name: "RPCServer",
                dependencies: [
                    "JSON", "Primitives",
                    .product(name: "Hummingbird", package: "hummingbird"),
                    .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "Logging", package: "swift-log"),
                ]),

        // execution-spec-tests and ethereum/tests blockchain-test runner.
        .target(name: "ChainTestRunner",
                dependencies: ["Chain", "EVM", "Primitives"]),

        // Lockstep protocol v1 (Specs/protocol.md): L2 headers and blocks, EIP-712 certificates and handoffs, the
        // inbox and outbox, public inputs, the L2 execution rules, the EXECUTE precompile, contract artifacts.
        .target(name: "Rollup",
                dependencies: ["Chain", "EVM", "State", "Primitives"]),

        // A node's core, for both chains: its chain on one thread, the durable event-log journal with snapshots,
        // the pool and block production, subscriptions, and the upstream of a forked chain.
        .target(name: "Node",
                dependencies: ["Chain", "EVM", "State", "Store", "JSON", "JSONRPCClient", "Primitives"]),
        // The eth_*, net_* and web3_* JSON-RPC API over any node (block tags, JSON shapes, upstream forwarding,
        // Flashbots signatures and bundles), and the mapping of domain errors to JSON-RPC errors.
        .target(name: "EthRPC",
                dependencies: ["Node", "Chain", "EVM", "State", "Store", "RPCServer", "JSON", "Primitives"]),
        // The harness L1's policy: bundles forced in first, slot-timed or automatic blocks, anvil test methods,
        // the EXECUTE precompile.
        .target(name: "L1Devnet",
                dependencies: ["Node", "EthRPC", "Chain", "EVM", "State", "Store", "RPCServer", "JSON", "Rollup", "Primitives"]),

        // The L2 node's own rules on the node core: L2 blocks built with the one block builder (anchor and deposit
        // system calls, rollup header fields), certificates, the L2's JSON-RPC and preconfirmation feed.
        // The attestation prover (`lockstep prove`) and the client that asks several of them at once.
        .target(name: "Prover",
                dependencies: ["Rollup", "Chain", "EVM", "RPCServer", "JSON", "JSONRPCClient", "Primitives"]),
        .target(name: "Sequencer",
                dependencies: ["Prover", "Node", "EthRPC", "Rollup", "Chain", "EVM", "State", "Store", "RPCServer", "JSON", "JSONRPCClient", "Primitives"]),

        // The cross-layer builder: bundle intake (checked, durable, replaced and cancelled per searcher) and joint
        // simulation on forked L1 and L2 state (the L2's block rules come from Sequencer).
        .target(name: "Builder",
                dependencies: ["Prover", "Node", "EthRPC", "Sequencer", "Rollup", "Chain", "EVM", "State", "Store", "RPCServer", "JSON", "JSONRPCClient", "Primitives"]),

        // The builder's bundle intake on PostgreSQL: stateless API replicas (`lockstep builder --intake-only
        // --postgres URL`) append what they acknowledge; the simulating builder consumes it into its book and
        // publishes statuses back. SQLite (BundleBook) stays the embedded default.
        .target(name: "IntakePostgres",
                dependencies: ["Builder", "RPCServer", "JSON", "Primitives",
                               .product(name: "PostgresNIO", package: "postgres-nio"),
                               .product(name: "Logging", package: "swift-log")]),

        // The two-chain harness (`lockstep devnet`): both geneses with the contracts deployed, and what the harness
        // tells scripts (devnet.json, lockstep_devnetInfo).
        .target(name: "Devnet",
                dependencies: ["L1Devnet", "Node", "Rollup", "Chain", "EVM", "State", "JSON", "JSONRPCClient", "Primitives"]),

        .executableTarget(name: "lockstep",
                          dependencies: [
                              "Primitives", "EVM", "State", "Store", "JSON", "JSONRPCClient", "StateTestRunner", "Chain", "ChainTestRunner", "Node", "L1Devnet", "Sequencer", "Builder", "Prover", "RPCServer", "Rollup", "Devnet", "IntakePostgres",
                              "CCurl", "CGMP",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                          ]),
        // Benchmarks (primitives, evm, precompiles with the BLS12-381 building blocks, bundle, state, l1): release
        // builds only; `lockstep bench` forwards to this executable.
        .executableTarget(name: "LockstepBench",
                          dependencies: [
                              "Primitives", "EVM", "State", "Store", "JSON", "JSONRPCClient", "StateTestRunner", "Chain", "Node", "L1Devnet", "Sequencer", "Builder", "Rollup", "RPCServer",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                          ]),

        // The libFuzzer targets (every decoder of outside bytes) and their driver, `lockstep-fuzz`: a libFuzzer
        // binary when Deploy/fuzz.sh builds it with -sanitize=fuzzer, a replayer of files otherwise.
        .target(name: "FuzzTargets",
                dependencies: ["Builder", "L1Devnet", "Rollup", "Chain", "RPCServer", "JSON", "Primitives"]),
        .executableTarget(name: "LockstepFuzz",
                          dependencies: ["FuzzTargets"]),

        // Locates ../shared/fixtures (or $LOCKSTEP_FIXTURES) for every conformance suite.
        .target(name: "FixtureSupport", path: "Tests/FixtureSupport"),
        // The store suites' synthetic chain and the crash test's writer process: test support, kept out of Store.
        .target(name: "StoreTestSupport",
                dependencies: ["Store", "State", "EVM", "Primitives"],
                path: "Tests/StoreTestSupport"),
        .testTarget(name: "PrimitivesTests",
                    dependencies: ["Primitives", "FixtureSupport"]),
        .testTarget(name: "EVMTests",
                    dependencies: ["EVM", "StateTestRunner", "Primitives", "FixtureSupport"]),
        .testTarget(name: "StateTests",
                    dependencies: ["State", "EVM", "StateTestRunner", "JSONRPCClient", "Primitives", "FixtureSupport"]),
        .testTarget(name: "JSONTests",
                    dependencies: ["JSON", "Primitives"]),
        .testTarget(name: "JSONRPCClientTests",
                    dependencies: ["JSONRPCClient", "JSON", "Primitives"]),
        .testTarget(name: "RPCServerTests",
                    dependencies: ["RPCServer", "JSON", "JSONRPCClient", "Primitives"]),
        .testTarget(name: "StoreTests",
                    dependencies: ["Store", "StoreTestSupport", "State", "EVM", "Primitives"]),
        .testTarget(name: "RollupTests",
                    dependencies: ["Rollup", "Chain", "State", "EVM", "Primitives"]),
        .testTarget(name: "EthRPCTests",
                    dependencies: ["EthRPC", "Node", "Chain", "RPCServer", "JSON", "EVM", "Primitives"]),
        .testTarget(name: "L1DevnetTests",
                    dependencies: ["L1Devnet", "EthRPC", "Node", "Chain", "RPCServer", "Store", "JSON", "JSONRPCClient", "EVM", "Primitives"]),
        .testTarget(name: "BuilderTests",
                    dependencies: ["Builder", "Sequencer", "L1Devnet", "Node", "Rollup", "Chain", "State", "Store", "EVM",
                                   "Primitives", "RPCServer", "JSON", "JSONRPCClient"]),
        .testTarget(name: "SequencerTests",
                    dependencies: ["Sequencer", "Rollup", "Node", "Chain", "State", "Store", "EVM", "Primitives",
                                   "L1Devnet", "RPCServer", "JSONRPCClient", "JSON"]),
        .testTarget(name: "FuzzTests",
                    dependencies: ["FuzzTargets"]),
        .testTarget(name: "ChainTests",
                    dependencies: ["Chain", "ChainTestRunner", "StateTestRunner", "State", "EVM", "Primitives", "FixtureSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
