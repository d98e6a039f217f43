/// Optional int8 compute: `quant.act_scales` holds one f32 per graph node, the per-tensor scale of
/// that node's input activation (x ≈ scale · q, q in −127..127), or 0 where the node runs in float.
/// Only conv2d nodes with i8 weights may have a non-zero scale. Files without the key (or readers
/// that ignore it) run every node in float with dequantised weights, as in earlier releases.
extension ModelFile {
    public static let activationScalesKey = "quant.act_scales"

    /// The activation scale of node `index`'s input if that node runs in int8, else nil.
    public func activationScale(node index: Int) -> Float? {
        guard case .f32Array(let scales) = metadata.value(ModelFile.activationScalesKey),
              index < scales.count, scales[index] > 0 else { return nil }
        return scales[index]
    }

    /// Checks `quant.act_scales` against the graph (the metadata check already made it a finite f32 array).
    static func checkActivationScales(_ metadata: Metadata, _ nodes: [Node], _ tensors: [TensorInfo]) throws(ModelFileError) {
        guard let value = metadata.value(activationScalesKey) else { return }
        guard case .f32Array(let scales) = value else {
            throw ModelFileError(.badMetadata, "metadata key '\(activationScalesKey)' must be a f32 array, found a \(value.typeName)")
        }
        guard scales.count == nodes.count else {
            throw ModelFileError(.badMetadata, "\(activationScalesKey) has \(scales.count) values but the graph has \(nodes.count) nodes; it needs one per node (0 = float)")
        }
        for (index, scale) in scales.enumerated() where scale != 0 {
            guard scale > 0 else {
                throw ModelFileError(.badMetadata, "\(activationScalesKey)[\(index)] is \(scale); scales must be > 0 (or 0 for a float node)")
            }
            guard case .conv2d(let c) = nodes[index].op else {
                throw ModelFileError(.badMetadata, "\(activationScalesKey)[\(index)] is \(scale) but node \(index) is a \(nodes[index].op.name); only conv2d nodes with i8 weights can run in int8")
            }
            guard tensors[c.weight].dtype == .i8 else {
                throw ModelFileError(.badMetadata, "\(activationScalesKey)[\(index)] is \(scale) but the weights of node \(index) (conv2d) are \(tensors[c.weight].dtype.name); int8 compute needs i8 weights")
            }
        }
    }
}

extension ModelFile {
    /// The stored int8 values and per-output-channel scales of an i8 tensor (nil for other dtypes).
    public func int8Values(ofTensor index: Int) -> (values: [Int8], scales: [Float])? {
        let t = tensors[index]
        guard t.dtype == .i8 else { return nil }
        let bytes = self.bytes
        let values = (0..<t.elementCount).map { Int8(bitPattern: bytes[t.offset + $0]) }
        let scales = (0..<t.scaleCount).map { loadF32LE(bytes, t.scaleOffset + 4 * $0) }
        return (values, scales)
    }
}
