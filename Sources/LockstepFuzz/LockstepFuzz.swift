import Foundation
import FuzzTargets

// `lockstep-fuzz TARGET …`. Built by Deploy/fuzz.sh with `-sanitize=fuzzer,address -DLOCKSTEP_FUZZ`, it is a libFuzzer
// driver: everything after TARGET goes to libFuzzer (flags, corpus directories, or crash files to reproduce).
// Built normally (`swift build`), it replays files through the same target, without libFuzzer, to reproduce a
// finding in an ordinary build: `lockstep-fuzz TARGET FILE…`.

#if LOCKSTEP_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var selected: FuzzTarget = .rlp

/// libFuzzer's entry point (its own `main` needs it to link; the driver below passes the same function).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected.run(input)
    return 0
}
#endif

@main
struct LockstepFuzz {
    static func usage() -> Never {
        var text = "usage: lockstep-fuzz TARGET [FILE…]   (a fuzzing build: lockstep-fuzz TARGET [libFuzzer flags] [CORPUS…])\n"
        text += "targets:\n"
        for target in FuzzTarget.allCases {
            text += "  \(target.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(target.summary)\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
        exit(2)
    }

    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else { usage() }
        #if LOCKSTEP_FUZZ
        selected = target
        // libFuzzer sees the program name and everything after TARGET.
        var rest = [arguments[0]] + arguments.dropFirst(2)
        var cStrings: [UnsafeMutablePointer<CChar>?] = rest.map { strdup($0) } + [nil]
        var argc = CInt(rest.count)
        rest.removeAll()
        cStrings.withUnsafeMutableBufferPointer { buffer in
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        }
        #else
        let files = arguments.dropFirst(2)
        guard !files.isEmpty else { usage() }
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("lockstep-fuzz: cannot read \(path)\n".utf8))
                exit(1)
            }
            target.run(Array(data))
            print("\(path): ok (\(data.count) bytes)")
        }
        #endif
    }
}
