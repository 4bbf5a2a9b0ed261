import CBLASCore
import CMFKernels
import Foundation
import XCTest

/// OpenBLAS runs the kernels this CPU supports: never its SSE3 fallback (Prescott) on a CPU
/// with AVX2, whether or not the OpenBLAS installed knows the CPU's model; and it runs on
/// the calling thread, its own worker threads stopped from the start.
final class BLASCoreTests: XCTestCase {
    func testOpenBLASUsesTheVectorKernelsTheCPUSupports() throws {
        try XCTSkipUnless(mfk_isa_supported(mfk_isa_avx2) != 0, "no AVX2 on this CPU")
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil, "OPENBLAS_CORETYPE set by the user")
        let core = String(cString: mfk_blas_core())
        XCTAssertNotEqual(core, "Prescott")
        if mfk_isa_supported(mfk_isa_avx512) == 0 { XCTAssertNotEqual(core, "SkylakeX") }
    }

    func testOpenBLASRunsOnTheCallingThreadWithNoWorkersPolling() {
        XCTAssertEqual(mfk_blas_threads(), 1)
        XCTAssertEqual(mfk_blas_workers_running(), 0)
    }
}
