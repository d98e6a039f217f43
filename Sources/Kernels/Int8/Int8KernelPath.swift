import CKernels

/// One implementation of the int8 micro-kernels (CKernels). All compute identical int32 sums; the
/// engine runs the fastest one the CPU supports, so one binary is right on every core it targets.
public struct Int8KernelPath: Equatable, Sendable {
    public let rawValue: Int32

    public init?(rawValue: Int32) {
        guard rawValue >= 0 && rawValue < Int32(EI_I8_PATH_COUNT.rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// Every path this build knows, supported here or not.
    public static var all: [Int8KernelPath] {
        (0..<Int32(EI_I8_PATH_COUNT.rawValue)).compactMap { Int8KernelPath(rawValue: $0) }
    }

    /// The fastest supported path (EDGEINSPECT_I8_PATH=<name> forces a supported one).
    public static var best: Int8KernelPath { Int8KernelPath(rawValue: ei_i8_best_path()) ?? Int8KernelPath(rawValue: 0)! }

    public var isSupported: Bool { ei_i8_path_supported(rawValue) != 0 }

    /// What the path's quantised activations store: q + inputOffset (128 for the VNNI paths, whose
    /// vpdpbusd multiplies unsigned bytes; 0 otherwise).
    public var inputOffset: Int { Int(ei_i8_input_offset(rawValue)) }

    /// "portable", "neon", "sdot", "avx2", "avx-vnni" or "avx512-vnni".
    public var name: String { String(cString: ei_i8_path_name(rawValue)) }

    /// True when EDGEINSPECT_FP32 asks for float convolutions everywhere (to compare the paths).
    public static var disabledByEnvironment: Bool { ei_i8_disabled_by_env() != 0 }
}

/// The SIMD features found at run time, e.g. "avx2 avx-vnni avx512-vnni" or "neon asimddp".
public enum CPUFeatures {
    public static var description: String { String(cString: ei_cpu_features_text()) }
}
