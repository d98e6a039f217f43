/// A validated model file: the graph, its weights, and how to prepare input and score output.
///
/// `init(parsing:)` checks every rule of docs/model-format.md, so code that holds a `ModelFile`
/// can index tensors and values without further checks. The payloads are not copied: `bytes`
/// must outlive the value (typically a read-only mapping of the file).
public struct ModelFile {
    public static let formatVersion = 1

    public let metadata: Metadata
    public let nodes: [Node]
    /// Value id of the graph output (value k is the output of node k-1).
    public let output: Int
    public let tensors: [TensorInfo]
    /// The whole file; the caller keeps it alive.
    public let bytes: UnsafeRawBufferPointer

    public init(parsing bytes: UnsafeRawBufferPointer) throws(ModelFileError) {
        let header = try Header.parse(bytes)
        var metadataReader = ByteReader(bytes, start: header.metadataOffset, count: header.metadataSize,
                                        kind: .badMetadata, section: "metadata section")
        let metadata = try Metadata(entries: try MetadataParser.parse(&metadataReader))
        let expectedFlags = Header.flags(for: metadata.entries)
        guard header.flags == expectedFlags else {
            throw ModelFileError(.badLayout, expectedFlags == 0
                ? "header flag \(hex32(Header.errorNormFlag)) (score.error_norm) is set, but the metadata has no score.error_norm other than 'none'"
                : "score.error_norm is set, but header flag \(hex32(Header.errorNormFlag)) is not: older readers would ignore the key and score in other units than the threshold")
        }
        var graphReader = ByteReader(bytes, start: header.graphOffset, count: header.graphSize,
                                     kind: .badGraph, section: "graph section")
        let graph = try GraphParser.parse(&graphReader, tensorCount: header.tensorCount)
        let tensors = try TensorTable.parse(bytes, header: header)
        try ShapeInference.checkWeights(graph.nodes, tensors)
        try ModelFile.checkActivationScales(metadata, graph.nodes, tensors)
        // The probe size is what the format promises to work; other sizes are checked per call.
        let probe = 8 * metadata.sizeMultiple
        _ = try ShapeInference.infer(graph.nodes, output: graph.output,
                                     input: Shape(channels: metadata.inputChannels, height: probe, width: probe))
        self.metadata = metadata
        self.nodes = graph.nodes
        self.output = graph.output
        self.tensors = tensors
        self.bytes = bytes
    }

    /// Shapes of every value (index = value id) for an input already padded to the size multiple.
    public func shapes(height: Int, width: Int) throws(ModelFileError) -> [Shape] {
        let m = metadata.sizeMultiple
        guard height >= 1 && width >= 1 && height % m == 0 && width % m == 0 else {
            throw ModelFileError(.shapeMismatch, "input \(height)×\(width) is not a positive multiple of input.size_multiple \(m); pad it first")
        }
        return try ShapeInference.infer(nodes, output: output,
                                        input: Shape(channels: metadata.inputChannels, height: height, width: width))
    }

    /// Writes this model again; for a file produced by `serialize` the bytes are identical.
    public func serialized() -> [UInt8] { serialized(entries: metadata.entries) }

    /// Writes this model with some metadata changed: keys already present keep their place and take
    /// the new value, new keys are appended. The result is validated like any file read from disk,
    /// so an update that breaks a metadata rule (say a negative threshold) is refused here.
    public func serialized(updating updates: [(key: String, value: MetaValue)]) throws(ModelFileError) -> [UInt8] {
        var entries = metadata.entries
        for update in updates {
            if let i = entries.firstIndex(where: { $0.key == update.key }) {
                entries[i].value = update.value
            } else {
                entries.append(update)
            }
        }
        _ = try Metadata(entries: entries)
        return serialized(entries: entries)
    }

    private func serialized(entries: [(key: String, value: MetaValue)]) -> [UInt8] {
        let payloads = tensors.indices.map { index in
            let t = tensors[index]
            let data = Array(UnsafeRawBufferPointer(rebasing: bytes[t.offset..<(t.offset + t.byteSize)]))
            let scales = (0..<t.scaleCount).map { loadF32LE(bytes, t.scaleOffset + 4 * $0) }
            return TensorPayload(name: t.name, dtype: t.dtype, shape: t.shape, data: data, scales: scales)
        }
        return ModelFile.serialize(metadata: entries, nodes: nodes, output: output, tensors: payloads)
    }
}
