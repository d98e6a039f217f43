extension MetaValue {
    /// The format's name for the value type, for messages.
    public var typeName: String {
        switch self {
        case .u32: return "u32"
        case .f32: return "f32"
        case .string: return "string"
        case .f32Array: return "f32 array"
        case .u32Array: return "u32 array"
        }
    }
}

extension Metadata {
    /// Keys that must be present, with the type each must have.
    static let requiredKeys: [(key: String, type: String)] = [
        ("model.name", "string"), ("input.channels", "u32"), ("input.mean", "f32 array"), ("input.std", "f32 array"),
        ("input.size_multiple", "u32"), ("input.pad_mode", "string"), ("input.resize", "u32 array"),
        ("score.sigma", "f32"), ("score.reduce", "string"), ("score.scale", "f32"), ("score.threshold", "f32"),
    ]
    /// Optional keys the format names; if present they must have this type.
    static let optionalKeys: [(key: String, type: String)] = [
        ("model.producer", "string"), ("train.dataset", "string"), ("train.command", "string"),
        ("train.licence", "string"), ("calib.method", "string"), ("calib.images", "u32"), ("calib.quantile", "f32"),
        ("quant.act_scales", "f32 array"), ("quant.method", "string"), ("score.border", "u32"),
        ("score.map_sigma", "f32"), ("score.map_threshold", "f32"), ("score.error_norm", "string"),
    ]
    /// Largest `score.border`: wider than any image a model scores, so no real file needs more.
    public static let maxScoreBorder: UInt32 = 4096

    static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    /// Builds the typed view from entries in file order, checking every rule of the format: key syntax,
    /// no duplicates, limits, finite floats, required keys with their types and value ranges.
    /// Used by the reader and by tools that edit metadata (e.g. calibration) before writing a file.
    public init(entries: [(key: String, value: MetaValue)]) throws(ModelFileError) {
        guard entries.count <= MetadataParser.maxEntries else {
            throw ModelFileError(.limitExceeded, "metadata has \(entries.count) entries; this build reads at most \(MetadataParser.maxEntries)")
        }
        var seen: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            try Metadata.checkEntry(entry.key, entry.value)
            if let first = seen[entry.key] {
                throw ModelFileError(.badMetadata, "duplicate metadata key '\(entry.key)' (entries \(first) and \(index))")
            }
            seen[entry.key] = index
        }
        func find(_ key: String) -> MetaValue? { seen[key].map { entries[$0].value } }
        for (key, type) in Metadata.requiredKeys {
            guard let value = find(key) else { throw ModelFileError(.badMetadata, "required metadata key '\(key)' is missing") }
            guard value.typeName == type else {
                throw ModelFileError(.badMetadata, "metadata key '\(key)' must be a \(type), found a \(value.typeName)")
            }
        }
        for (key, type) in Metadata.optionalKeys {
            if let value = find(key), value.typeName != type {
                throw ModelFileError(.badMetadata, "metadata key '\(key)' must be a \(type), found a \(value.typeName)")
            }
        }
        // Types are known now; the `?? default` branches below cannot be taken.
        guard case .string(let name) = find("model.name"), case .u32(let channels) = find("input.channels"),
              case .f32Array(let mean) = find("input.mean"), case .f32Array(let std) = find("input.std"),
              case .u32(let multiple) = find("input.size_multiple"), case .string(let pad) = find("input.pad_mode"),
              case .u32Array(let resize) = find("input.resize"), case .f32(let sigma) = find("score.sigma"),
              case .string(let reduceName) = find("score.reduce"), case .f32(let scale) = find("score.scale"),
              case .f32(let threshold) = find("score.threshold")
        else { throw ModelFileError(.badMetadata, "required metadata keys have the wrong types") }

        guard !name.isEmpty else { throw ModelFileError(.badMetadata, "metadata key 'model.name' is empty") }
        guard channels == 1 || channels == 3 else {
            throw ModelFileError(.badMetadata, "input.channels is \(channels); it must be 1 (gray) or 3 (RGB)")
        }
        guard mean.count == Int(channels) else {
            throw ModelFileError(.badMetadata, "input.mean has \(mean.count) values; input.channels is \(channels)")
        }
        guard std.count == Int(channels) else {
            throw ModelFileError(.badMetadata, "input.std has \(std.count) values; input.channels is \(channels)")
        }
        if let index = std.firstIndex(where: { !($0 > 0) }) {
            throw ModelFileError(.badMetadata, "input.std[\(index)] is \(std[index]); it must be > 0")
        }
        guard multiple >= 1 && multiple <= 1024 else {
            throw ModelFileError(.badMetadata, "input.size_multiple is \(multiple); it must be 1...1024")
        }
        guard let padMode = PadMode(rawValue: pad) else {
            throw ModelFileError(.badMetadata, "input.pad_mode is '\(pad)'; it must be 'replicate' or 'zero'")
        }
        guard resize.count == 2 else {
            throw ModelFileError(.badMetadata, "input.resize has \(resize.count) values; it must have 2 (height, width)")
        }
        let resizeOK = (resize[0] == 0 && resize[1] == 0)
            || (resize[0] >= 1 && resize[0] <= 8192 && resize[1] >= 1 && resize[1] <= 8192)
        guard resizeOK else {
            throw ModelFileError(.badMetadata, "input.resize is \(resize[0]), \(resize[1]); it must be 0, 0 (native size) or both 1...8192")
        }
        guard sigma >= 0 && sigma <= 64 else {
            throw ModelFileError(.badMetadata, "score.sigma is \(sigma); it must be 0...64")
        }
        guard let reduce = ScoreReduce(rawValue: reduceName) else {
            throw ModelFileError(.badMetadata, "score.reduce is '\(reduceName)'; it must be 'max' or 'mean'")
        }
        var mapSigma = sigma
        if case .f32(let value) = find("score.map_sigma") { mapSigma = value }
        guard mapSigma >= 0 && mapSigma <= 64 else {
            throw ModelFileError(.badMetadata, "score.map_sigma is \(mapSigma); it must be 0...64")
        }
        var border: UInt32 = 0
        if case .u32(let value) = find("score.border") { border = value }
        guard border <= Metadata.maxScoreBorder else {
            throw ModelFileError(.badMetadata, "score.border is \(border); it must be 0...\(Metadata.maxScoreBorder)")
        }
        var errorNorm = ErrorNorm.none
        if case .string(let value) = find("score.error_norm") {
            guard let parsed = ErrorNorm(rawValue: value) else {
                throw ModelFileError(.badMetadata, "score.error_norm is '\(value)'; it must be 'none' or 'variance'")
            }
            errorNorm = parsed
        }
        guard scale > 0 else { throw ModelFileError(.badMetadata, "score.scale is \(scale); it must be > 0") }
        guard threshold > 0 else { throw ModelFileError(.badMetadata, "score.threshold is \(threshold); it must be > 0") }
        var mapThreshold = threshold * scale
        if case .f32(let value) = find("score.map_threshold") { mapThreshold = value }
        guard mapThreshold > 0 else {
            throw ModelFileError(.badMetadata, "score.map_threshold is \(mapThreshold); it must be > 0")
        }

        self.name = name
        self.inputChannels = Int(channels)
        self.mean = mean
        self.std = std
        self.sizeMultiple = Int(multiple)
        self.padMode = padMode
        self.resizeHeight = Int(resize[0])
        self.resizeWidth = Int(resize[1])
        self.scoreSigma = sigma
        self.mapSigma = mapSigma
        self.scoreBorder = Int(border)
        self.errorNorm = errorNorm
        self.scoreReduce = reduce
        self.scoreScale = scale
        self.threshold = threshold
        self.mapThreshold = mapThreshold
        self.entries = entries
    }

    /// Rules every entry obeys whatever its key: syntax, limits, finite floats.
    private static func checkEntry(_ key: String, _ value: MetaValue) throws(ModelFileError) {
        let keyBytes = key.utf8.count
        guard keyBytes >= 1 && keyBytes <= MetadataParser.maxKeyLength && key.utf8.allSatisfy(isKeyByte) else {
            throw ModelFileError(.badMetadata, "metadata key '\(key)' must be 1...\(MetadataParser.maxKeyLength) characters of [a-z0-9._]")
        }
        switch value {
        case .u32: break
        case .f32(let x):
            guard x.isFinite else { throw ModelFileError(.badMetadata, "metadata key '\(key)' is \(x); floats must be finite") }
        case .string(let text):
            guard text.utf8.count <= MetadataParser.maxStringLength else {
                throw ModelFileError(.limitExceeded, "metadata key '\(key)': string of \(text.utf8.count) bytes; the limit is \(MetadataParser.maxStringLength)")
            }
        case .f32Array(let xs):
            try checkArrayCount(key, xs.count)
            if let index = xs.firstIndex(where: { !$0.isFinite }) {
                throw ModelFileError(.badMetadata, "metadata key '\(key)'[\(index)] is \(xs[index]); floats must be finite")
            }
        case .u32Array(let xs):
            try checkArrayCount(key, xs.count)
        }
    }

    private static func checkArrayCount(_ key: String, _ count: Int) throws(ModelFileError) {
        guard count <= MetadataParser.maxArrayCount else {
            throw ModelFileError(.limitExceeded, "metadata key '\(key)': array of \(count) elements; the limit is \(MetadataParser.maxArrayCount)")
        }
    }
}
