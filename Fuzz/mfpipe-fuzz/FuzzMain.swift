import CLibFuzzer
import Foundation

/// The fuzz executable: hands libFuzzer its command line and, for each input, the target
/// `MFPIPE_FUZZ_TARGET` names.
@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        _ = FuzzTarget.current
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzTarget.current.run(data.map { Data(bytes: $0, count: size) } ?? Data())
            return 0
        })
    }
}
