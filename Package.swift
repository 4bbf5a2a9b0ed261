// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mfpipe",
    products: [
        .executable(name: "mfpipe", targets: ["mfpipe"]),
        .library(name: "MFPipe", targets: ["MFPipe"]),
    ],
    targets: [
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "CMFKernels"),
        .target(name: "CBLASCore", linkerSettings: [.linkedLibrary("openblas")]),
        .target(name: "CNumberText"),
        .target(name: "MFPipe", dependencies: ["CHDF5", "CBLAS", "CBLASCore", "CZlib", "CMPI", "CMFKernels", "CNumberText"]),
        .executableTarget(name: "mfpipe", dependencies: ["MFPipe"]),
        .target(name: "MFPipeTestSupport", dependencies: ["MFPipe"], path: "Tests/MFPipeTestSupport"),
        .testTarget(name: "MFPipeTests", dependencies: ["MFPipe", "MFPipeTestSupport", "CMFKernels", "CBLASCore"]),
    ],
    swiftLanguageModes: [.v5]
)

// `make fuzz` builds libFuzzer entry points over the input readers and the pipeline
// parser (MFPIPE_FUZZ=1, with -sanitize=fuzzer,address); every other build leaves them out.
if Context.environment["MFPIPE_FUZZ"] != nil {
    package.products.append(.executable(name: "mfpipe-fuzz", targets: ["mfpipe-fuzz"]))
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(name: "mfpipe-fuzz", dependencies: ["MFPipe", "CLibFuzzer"], path: "Fuzz/mfpipe-fuzz"),
    ]
}
