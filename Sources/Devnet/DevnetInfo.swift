import Chain
import Foundation
import JSON
import Primitives
import Rollup

/// What a running harness tells scripts: endpoints, chain ids, contract addresses and ABIs, keys and timing.
/// `lockstep devnet` writes it to `devnet.json` in its data directory and answers it at `lockstep_devnetInfo` on
/// the L2 endpoint, so no script has to read the log.
public struct DevnetInfo: Sendable {
    public struct Service: Sendable {
        public var url: String
        public var address: Address
        public init(url: String, address: Address) {
            self.url = url
            self.address = address
        }
    }

    public var harness: Harness
    public var l1Url: String
    public var l2Url: String
    public var builders: [Service]
    public var provers: [Service]
    public var slotTime: Double
    public var l2BlockTime: Double
    public var basedWindow: Double
    public var dataDirectory: String?
    /// The external-proof slot's test prover, when the harness runs one.
    public var externalProver: Service?

    public init(harness: Harness, l1Url: String, l2Url: String, builders: [Service], provers: [Service],
                slotTime: Double, l2BlockTime: Double, basedWindow: Double, dataDirectory: String?,
                externalProver: Service? = nil) {
        self.externalProver = externalProver
        self.harness = harness
        self.l1Url = l1Url
        self.l2Url = l2Url
        self.builders = builders
        self.provers = provers
        self.slotTime = slotTime
        self.l2BlockTime = l2BlockTime
        self.basedWindow = basedWindow
        self.dataDirectory = dataDirectory
    }

    /// The WebSocket URL of an HTTP endpoint (the same port serves both).
    public static func ws(_ url: String) -> String {
        url.hasPrefix("https://") ? "wss://" + url.dropFirst(8) : "ws://" + url.dropFirst(7)
    }

    static func abi(_ text: String) -> JSONValue { (try? JSONValue(parsing: text)) ?? .null }

    /// The JSON document (`devnet.json`, `lockstep_devnetInfo`).
    public var json: JSONValue {
        let c = self.harness.contracts
        let services: ([Service]) -> JSONValue = { list in
            .array(list.map { .object(["url": .string($0.url), "address": .string($0.address.checksummed)]) })
        }
        let accounts: JSONValue = .array(DevAccounts.privateKeys.enumerated().map { index, key in
            .object(["index": .number(JSONNumber(index)), "address": .string(key.address.checksummed),
                     "privateKey": .string(Hex.encode(key.bytes))])
        })
        return .object([
            "l1": .object(["url": .string(self.l1Url), "ws": .string(Self.ws(self.l1Url)),
                           "chainId": .number(JSONNumber(self.harness.l1ChainId)),
                           "executePrecompile": .bool(c.executeVerifier != nil), "builtIn": .bool(self.harness.l1 != nil)]),
            "l2": .object(["url": .string(self.l2Url), "ws": .string(Self.ws(self.l2Url)),
                           "chainId": .number(JSONNumber(self.harness.l2ChainId)),
                           "genesisHash": .string(self.harness.l2GenesisHash.description)]),
            "builders": services(self.builders),
            "provers": services(self.provers),
            "externalProver": self.externalProver.map { .object(["url": .string($0.url), "address": .string($0.address.checksummed),
                                                                 "note": "a test stand-in: signs after re-executing, proves nothing"]) } ?? .null,
            "sequencer": .string(Harness.sequencerKey.address.checksummed),
            "timing": .object(["slotTime": .number(JSONNumber(self.slotTime) ?? JSONNumber(0)),
                               "l2BlockTime": .number(JSONNumber(self.l2BlockTime) ?? JSONNumber(0)),
                               "basedWindow": .number(JSONNumber(self.basedWindow) ?? JSONNumber(0))]),
            "policy": .object(["threshold": .number(JSONNumber(c.policy.threshold)), "verifiers": .array([
                .string("AttestationVerifier (2 of \(Harness.signers.map(\.checksummed).joined(separator: ", ")))")]
                + (c.executeVerifier == nil ? [] : [.string("ExecuteVerifier (the EXECUTE precompile at 0x0101)")])
                + (c.externalVerifier == nil ? [] : [.string("ExternalVerifier (test stand-in: a signature, not a zk proof)")]))]),
            "contracts": .object([
                "l1": .object([
                    "rollup": .string(c.rollup.checksummed),
                    "attestationVerifier": .string(c.attestationVerifier.checksummed),
                    "executeVerifier": c.executeVerifier.map { .string($0.checksummed) } ?? .null,
                    "externalVerifier": c.externalVerifier.map { .string($0.checksummed) } ?? .null,
                    "token": .string(c.token.checksummed),
                    "vault": .string(c.vault.checksummed),
                    "amm": .string(c.pool.checksummed),
                    "assertions": .string(c.assertions.checksummed),
                ]),
                "l2": .object([
                    "messenger": .string(RollupProtocol.messengerAddress.checksummed),
                    "l1BlockInfo": .string(RollupProtocol.l1BlockInfoAddress.checksummed),
                    "token": .string(Harness.l2Token.checksummed),
                    "amm": .string(Harness.l2Pool.checksummed),
                    "assertions": .string(Harness.l2Assertions.checksummed),
                ]),
            ]),
            "abis": .object([
                "Rollup": Self.abi(ContractArtifacts.rollupABI),
                "AttestationVerifier": Self.abi(ContractArtifacts.attestationVerifierABI),
                "ExecuteVerifier": Self.abi(ContractArtifacts.executeVerifierABI),
                "DemoToken": Self.abi(ContractArtifacts.demoTokenABI),
                "TokenVault": Self.abi(ContractArtifacts.tokenVaultABI),
                "BridgedToken": Self.abi(ContractArtifacts.bridgedTokenABI),
                "ConstantProductAMM": Self.abi(ContractArtifacts.constantProductAMMABI),
                "L2Messenger": Self.abi(ContractArtifacts.l2MessengerABI),
                "L1BlockInfo": Self.abi(ContractArtifacts.l1BlockInfoABI),
                "Assertions": Self.abi(ContractArtifacts.assertionsABI),
                "ExternalVerifier": Self.abi(ContractArtifacts.externalVerifierABI),
            ]),
            "accounts": accounts,
            "dataDir": self.dataDirectory.map(JSONValue.string) ?? .null,
        ])
    }

    /// Writes `devnet.json` into `directory` (pretty-printed, keys sorted), atomically.
    public func write(to directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("devnet.json")
        let compact = Data(self.json.serializedString().utf8)
        let object = try JSONSerialization.jsonObject(with: compact)
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        data.append(0x0a)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
