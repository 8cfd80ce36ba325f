import Chain
import EVM
import Foundation
import Primitives
import Testing

@Suite struct GenesisTests {
    @Test func devAccountsAreTheWellKnownOnes() throws {
        #expect(DevAccounts.addresses.count == 10)
        #expect(DevAccounts.addresses.first == (try Address(hex: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")))
        #expect(DevAccounts.addresses.last == (try Address(hex: "0xa0ee7a142d267c1f36714e4a8f75612f20a79720")))
    }

    @Test func devnetGenesisDeploysTheSystemContractsAndFundsTheDevAccounts() throws {
        let chain = Blockchain(genesis: Genesis.devnet())
        let header = chain.headHeader
        #expect(header.number == 0)
        #expect(header.requestsHash == ExecutionRequest.requestsHash([]))
        #expect(header.parentBeaconBlockRoot == .zero && header.excessBlobGas == 0)
        #expect(header.stateRoot == chain.state.stateRoot)
        for address in [SystemCall.beaconRootsAddress, SystemCall.historyStorageAddress,
                        SystemCall.withdrawalRequestAddress, SystemCall.consolidationRequestAddress] {
            #expect(chain.state.accountState(address)?.code.isEmpty == false)
        }
        for address in DevAccounts.addresses {
            #expect(chain.state.accountState(address)?.balance == U256(10_000) &* U256(1_000_000_000_000_000_000))
        }
    }

    @Test func parsesAGethStyleGenesis() throws {
        let json = """
            {"config": {"chainId": 31337, "shanghaiTime": 0, "cancunTime": 0, "pragueTime": 100,
                        "blobSchedule": {"prague": {"target": 6, "max": 9, "baseFeeUpdateFraction": 5007716}}},
             "gasLimit": "0x1c9c380", "timestamp": "0x0", "baseFeePerGas": "1000000000", "extraData": "0x",
             "alloc": {"f39fd6e51aad88f6f4ce6ab8827279cfffb92266": {"balance": "1000000000000000000000"},
                       "0x00000000000000000000000000000000000000bb": {"balance": "0x0", "code": "0x6000", "nonce": "0x1",
                                                                      "storage": {"0x01": "0x02"}}}}
            """
        let genesis = try Genesis.parse(json: Data(json.utf8))
        #expect(genesis.config.chainId == 31337)
        #expect(genesis.config.fork(at: 0) == .cancun)
        #expect(genesis.config.fork(at: 100) == .prague)
        #expect(genesis.gasLimit == 30_000_000)
        #expect(genesis.alloc[DevAccounts.addresses[0]]?.balance == U256(1000) &* U256(1_000_000_000_000_000_000))
        let contract = try #require(genesis.alloc[try Address(hex: "0x00000000000000000000000000000000000000bb")])
        #expect(contract.code == [0x60, 0x00] && contract.nonce == 1 && contract.storage[U256(1)] == U256(2))
        let chain = Blockchain(genesis: genesis)
        #expect(chain.headHeader.requestsHash == nil)  // Cancun at genesis
        #expect(chain.headHeader.parentBeaconBlockRoot == .zero)
    }

    @Test(arguments: ["not json", "[]", "{\"config\": {}}", "{\"config\": {\"chainId\": -1}}",
                      "{\"config\": {\"chainId\": 1}, \"alloc\": {\"0x12\": {}}}"])
    func malformedGenesisIsAnError(_ text: String) {
        #expect(throws: GenesisError.self) { try Genesis.parse(json: Data(text.utf8)) }
    }
}
