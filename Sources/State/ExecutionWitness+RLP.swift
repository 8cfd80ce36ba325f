import Primitives

extension ExecutionWitness {
    /// The wire form of `Specs/witness.md`:
    /// `rlp([stateRoot, [stateNodes…], [storageNodes…], [codes…], [[number, hash]…]])`, block hashes sorted by number.
    public var rlpEncoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 4096)
        self.encode(into: &encoder)
        return encoder.bytes
    }

    /// Appends the witness's RLP list to `encoder`.
    public func encode(into encoder: inout RLPEncoder) {
        encoder.appendList { list in
            list.append(self.stateRoot)
            list.appendList { nodes in for node in self.stateNodes { nodes.append(bytes: node) } }
            list.appendList { nodes in for node in self.storageNodes { nodes.append(bytes: node) } }
            list.appendList { codes in for code in self.codes { codes.append(bytes: code) } }
            list.appendList { hashes in
                for (number, hash) in self.blockHashes.sorted(by: { $0.key < $1.key }) {
                    hashes.appendList { pair in
                        pair.append(number)
                        pair.append(hash)
                    }
                }
            }
        }
    }

    /// Decodes the wire form.
    /// - Throws: `WitnessError` saying which part is malformed.
    public static func decode(rlp bytes: [UInt8]) throws(WitnessError) -> ExecutionWitness {
        var reader = RLPReader(bytes)
        let witness = try decode(from: &reader)
        do {
            try reader.finish()
        } catch {
            throw WitnessError("witness: \(error)")
        }
        return witness
    }

    /// Reads one witness list from `reader`.
    public static func decode(from reader: inout RLPReader) throws(WitnessError) -> ExecutionWitness {
        do {
            var list = try reader.readList()
            let stateRoot = try list.readHash("witness state root")
            func byteStrings(_ reader: inout RLPReader) throws(RLPError) -> [[UInt8]] {
                var items = try reader.readList()
                var result: [[UInt8]] = []
                while items.hasMore { result.append(Array(try items.readBytes())) }
                return result
            }
            let stateNodes = try byteStrings(&list)
            let storageNodes = try byteStrings(&list)
            let codes = try byteStrings(&list)
            var hashList = try list.readList()
            var blockHashes: [UInt64: Hash] = [:]
            var previous: UInt64? = nil
            while hashList.hasMore {
                var pair = try hashList.readList()
                let number = try pair.readUInt64("block number")
                let hash = try pair.readHash("block hash")
                try pair.finish()
                if let previous, number <= previous {
                    throw WitnessError("witness: block hashes are not sorted by strictly increasing number (\(number) after \(previous))")
                }
                previous = number
                blockHashes[number] = hash
            }
            try list.finish()
            return ExecutionWitness(stateRoot: stateRoot, stateNodes: stateNodes, storageNodes: storageNodes,
                                    codes: codes, blockHashes: blockHashes)
        } catch let error as WitnessError {
            throw error
        } catch {
            throw WitnessError("witness: \(error)")
        }
    }
}
