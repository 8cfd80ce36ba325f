/// An Ethereum hard fork, in activation order. Rules are looked up by comparing forks (`fork >= .prague`).
public enum Fork: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case frontier, homestead, tangerineWhistle, spuriousDragon, byzantium, constantinople, petersburg, istanbul
    case berlin, london, paris, shanghai, cancun, prague, osaka

    public static func < (lhs: Fork, rhs: Fork) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The name used by ethereum/tests and execution-spec-tests fixtures (`Cancun`, `Prague`, `EIP150`, …).
    public var name: String {
        switch self {
        case .frontier: "Frontier"
        case .homestead: "Homestead"
        case .tangerineWhistle: "EIP150"
        case .spuriousDragon: "EIP158"
        case .byzantium: "Byzantium"
        case .constantinople: "Constantinople"
        case .petersburg: "ConstantinopleFix"
        case .istanbul: "Istanbul"
        case .berlin: "Berlin"
        case .london: "London"
        case .paris: "Paris"
        case .shanghai: "Shanghai"
        case .cancun: "Cancun"
        case .prague: "Prague"
        case .osaka: "Osaka"
        }
    }

    public var description: String { name }

    /// Parses a fork name as fixtures and command lines spell it (case-insensitive; `Merge` and `Petersburg` too).
    public init?(name: String) {
        let lower = name.lowercased()
        if let fork = Fork.allCases.first(where: { $0.name.lowercased() == lower }) {
            self = fork
            return
        }
        switch lower {
        case "petersburg": self = .petersburg
        case "merge": self = .paris
        case "tangerinewhistle": self = .tangerineWhistle
        case "spuriousdragon": self = .spuriousDragon
        default: return nil
        }
    }
}
