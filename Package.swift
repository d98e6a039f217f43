// swift-tools-version:6.0
// EdgeInspect: inference-only runtime for self-supervised visual anomaly detection.
// Everything under Sources/ also compiles in Embedded Swift mode (see cross/build.sh).
import PackageDescription

// x86 builds must name a CPU, or SIMD FMA becomes a call to fmaf (25x slower). The default is the
// building machine's class: skylake-avx512 where /proc/cpuinfo lists AVX-512 F/CD/BW/DQ/VL, else
// haswell (AVX2 + FMA). Host builds run where they are built; the product's ARM builds are cross/'s.
// Override with EDGEINSPECT_TARGET_CPU (e.g. "haswell", "native", "znver4"), or "none" for a cross
// build to ARM (`swift build --swift-sdk`), which this x86 manifest cannot tell apart.
// With AVX-512 the row kernels use 16-lane vectors (Sources/Kernels/FloatVector.swift).
#if arch(x86_64)
import Foundation

let hostFlags = Set(((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
    .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
let hostAVX512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(hostFlags.contains)
let targetCPU = Context.environment["EDGEINSPECT_TARGET_CPU"] ?? (hostAVX512 ? "skylake-avx512" : "haswell")
let avx512CPUs: Set = ["skylake-avx512", "cascadelake", "cooperlake", "icelake-client", "icelake-server",
                       "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids", "graniterapids",
                       "znver4", "znver5"]
let avx512 = avx512CPUs.contains(targetCPU) || (targetCPU == "native" && hostAVX512)
let cpuSwift: [SwiftSetting] = targetCPU == "none" ? []
    : [.unsafeFlags(["-target-cpu", targetCPU])] + (avx512 ? [.define("EDGEINSPECT_AVX512")] : [])
let cpuC: [CSetting] = targetCPU == "none" ? [] : [.unsafeFlags(["-march=\(targetCPU == "native" ? "native" : targetCPU)"])]
#else
let cpuSwift: [SwiftSetting] = []
let cpuC: [CSetting] = []
#endif
let swift = cpuSwift

let package = Package(
    name: "EdgeInspect",
    products: [
        .executable(name: "edge-inspect", targets: ["EdgeInspectCLI"]),
    ],
    targets: [
        // C shims: the OS and C libraries, behind small typed functions.
        .target(name: "CPlatform", cSettings: cpuC, linkerSettings: [.linkedLibrary("m"), .linkedLibrary("pthread")]),
        // int8 kernels, built for the baseline CPU: faster instruction sets only inside functions
        // with target attributes, picked at run time by CPU feature (so no cpuC here).
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("m")]),
        .target(name: "CImageCodecs",
                linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]),
        .target(name: "CDaemon", linkerSettings: [.linkedLibrary("pthread")]),
        .target(name: "CGPIO", linkerSettings: [.linkedLibrary("pthread")]),
        .target(name: "CCamera", linkerSettings: [.linkedLibrary("v4l2"), .linkedLibrary("v4lconvert")]),

        // Swift modules, one per responsibility; data flows down this list.
        .target(name: "Platform", dependencies: ["CPlatform"], swiftSettings: swift),
        .target(name: "ModelFile", swiftSettings: swift),
        // NEON intrinsics for 32-bit ARM, where Swift's SIMD FMA is scalarised (cross/build.sh armv7).
        .target(name: "CArmv7Kernels", cSettings: cpuC),
        .target(name: "Kernels", dependencies: ["CPlatform", "CKernels", "CArmv7Kernels"], swiftSettings: swift),
        .target(name: "Engine", dependencies: ["ModelFile", "Kernels", "CPlatform"], swiftSettings: swift),
        .target(name: "Imaging", dependencies: ["CImageCodecs"], swiftSettings: swift),
        .target(name: "Scoring", dependencies: ["CPlatform"], swiftSettings: swift),
        .target(name: "Inspection",
                dependencies: ["Platform", "ModelFile", "Kernels", "Engine", "Imaging", "Scoring"],
                swiftSettings: swift),
        .target(name: "Camera", dependencies: ["CCamera", "CDaemon", "Platform", "Imaging"], swiftSettings: swift),
        .target(name: "Alerts", dependencies: ["CGPIO", "CDaemon", "Platform", "Imaging"], swiftSettings: swift),
        .target(name: "Pipeline", dependencies: ["Camera", "Alerts", "Inspection", "ModelFile", "Imaging", "Platform", "CDaemon"],
                swiftSettings: swift),
        .executableTarget(name: "EdgeInspectCLI",
                          dependencies: ["Inspection", "Platform", "ModelFile", "Engine", "Kernels", "Imaging", "Scoring",
                                         "Camera", "Alerts", "Pipeline"],
                          swiftSettings: swift),

        .testTarget(name: "ModelFileTests", dependencies: ["ModelFile"], exclude: ["corpus"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CArmv7Kernels", "CKernels"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "ModelFile", "Kernels"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "Engine", "ModelFile", "Imaging", "Scoring", "AllocationCounter"]),
        // Test support: counts heap allocations by interposing malloc & co. (AllocationTests).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "FieldTests", dependencies: ["Pipeline", "Alerts", "Camera", "CDaemon", "CGPIO", "Imaging"]),
    ]
)
