import CBLASCore
import CMFKernels
import Foundation
import XCTest

/// OpenBLAS runs the kernels this CPU supports: never its SSE3 fallback (Prescott) on a CPU
/// with AVX2, whether or not the OpenBLAS installed knows the CPU's model.
final class BLASCoreTests: XCTestCase {
    func testOpenBLASUsesTheVectorKernelsTheCPUSupports() throws {
        try XCTSkipUnless(mfk_isa_supported(mfk_isa_avx2) != 0, "no AVX2 on this CPU")
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil, "OPENBLAS_CORETYPE set by the user")
        let core = String(cString: mfk_blas_core())
        XCTAssertNotEqual(core, "Prescott")
        if mfk_isa_supported(mfk_isa_avx512) == 0 { XCTAssertNotEqual(core, "SkylakeX") }
    }
}
