import ArgumentParser
import Chain
import Foundation
import Primitives

/// Where a service's signing key comes from: `--NAME-key`, `--NAME-key-file`, or `$VARIABLE`, in that order; the
/// development key in dev mode when none is given. The key is never echoed, not even in an error.
struct KeySource {
    /// The option names, e.g. "--sequencer-key" and "--sequencer-key-file".
    var option: String
    var fileOption: String
    var variable: String
    var role: String

    func resolve(value: String?, file: String?, dev: Bool, devKey: PrivateKey) throws -> PrivateKey {
        var text: String?
        var source = ""
        if let value {
            (text, source) = (value, option)
        } else if let file {
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(fileOption) \(file): \(error.localizedDescription)")
            }
            source = fileOption
        } else if let environment = ProcessInfo.processInfo.environment[variable] {
            (text, source) = (environment, "$\(variable)")
        }
        guard let text else {
            guard dev else { throw ValidationError("a \(role) key is required without --dev (\(option), \(fileOption) or $\(variable))") }
            return devKey
        }
        return try Self.parse(text, source: source)
    }

    /// A hex private key (with or without 0x, surrounding whitespace ignored).
    static func parse(_ text: String, source: String) throws -> PrivateKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = try? PrivateKey(hex: trimmed.hasPrefix("0x") ? trimmed : "0x" + trimmed) else {
            throw ValidationError("\(source) is not a valid secp256k1 private key (32 bytes of hex)")
        }
        return key
    }

    /// The `--attestation-key` values, or development accounts 7 and 6 in dev mode.
    static func attesters(_ values: [String], dev: Bool) throws -> [PrivateKey] {
        if values.isEmpty { return dev ? [7, 6].map { DevAccounts.privateKeys[$0] } : [] }
        return try values.enumerated().map { index, text in try parse(text, source: "--attestation-key number \(index + 1)") }
    }
}
