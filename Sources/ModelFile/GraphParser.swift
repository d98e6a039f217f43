/// Reads the graph section: nodes with their arity, attribute ranges and references checked, then
/// the whole-graph rules (valid output, every tensor used by at most one node, no unused node).
enum GraphParser {
    static let maxNodes = 4096
    static let maxInputs = 64

    static func parse(_ r: inout ByteReader, tensorCount: Int) throws(ModelFileError) -> (nodes: [Node], output: Int) {
        let count = try r.u32("the node count")
        guard count >= 1 else { throw ModelFileError(.badGraph, "graph has no nodes; it needs at least 1") }
        guard count <= UInt32(maxNodes) else {
            throw ModelFileError(.limitExceeded, "graph has \(count) nodes; this build reads at most \(maxNodes)")
        }
        let nodeCount = Int(count)
        let outputValue = try r.u32("the output value")
        guard outputValue >= 1 && outputValue <= count else {
            throw ModelFileError(.badGraph, "graph output is value \(outputValue); it must be a node output, 1...\(count)")
        }
        var nodes: [Node] = []
        var tensorOwner = [Int](repeating: -1, count: tensorCount)   // tensorCount <= 4096, checked by the header
        var used = [Bool](repeating: false, count: nodeCount + 1)
        for index in 0..<nodeCount {
            let rawOp = try r.u16("the op of node \(index)")
            let inputCount = Int(try r.u16("the input count of node \(index)"))
            let attributeCount = Int(try r.u16("the attribute count of node \(index)"))
            let tensorRefs = Int(try r.u16("the tensor count of node \(index)"))
            guard let code = OpCode(rawValue: rawOp) else {
                throw ModelFileError(.unknownOp, "node \(index): unknown op code \(rawOp); this build implements op codes 1...10")
            }
            let label = "node \(index) (\(code.name))"
            guard inputCount <= maxInputs else {
                throw ModelFileError(.limitExceeded, "\(label) has \(inputCount) inputs; this build reads at most \(maxInputs)")
            }
            try checkArity(label, "inputs", inputCount, code.inputs)
            try checkArity(label, "attributes", attributeCount, code.attributes...code.attributes)
            try checkArity(label, "tensors", tensorRefs, code.tensors)
            try r.require((inputCount + attributeCount + tensorRefs) * 4, "the operands of \(label)")

            var inputs: [Int] = []
            for _ in 0..<inputCount {
                let value = try r.u32("an input of \(label)")
                // Node `index` computes value index+1; reading anything not below it would be a cycle.
                guard value <= UInt32(index) else {
                    throw ModelFileError(.cycle, "\(label) reads value \(value), which is not computed before it (value k is the output of node k-1, so it may read values 0...\(index)); the graph has a cycle or is not topologically sorted")
                }
                inputs.append(Int(value))
                used[Int(value)] = true
            }
            var attributes: [UInt32] = []
            for _ in 0..<attributeCount { attributes.append(try r.u32("an attribute of \(label)")) }
            var tensors: [Int] = []
            for _ in 0..<tensorRefs {
                let tensor = try r.u32("a tensor index of \(label)")
                guard tensor < UInt32(tensorCount) else {
                    throw ModelFileError(.badGraph, "\(label) references tensor \(tensor) but the file has \(tensorCount) tensors")
                }
                let t = Int(tensor)
                guard tensorOwner[t] < 0 else {
                    throw ModelFileError(.badGraph, "\(label) uses tensor \(t), which node \(tensorOwner[t]) already uses; each tensor belongs to one node")
                }
                tensorOwner[t] = index
                tensors.append(t)
            }
            nodes.append(Node(try Op.decode(code, attributes: attributes, tensors: tensors, label: label), inputs: inputs))
        }
        guard r.isAtEnd else {
            throw ModelFileError(.badGraph, "graph section has \(r.remaining) bytes left after its \(nodeCount) nodes; it must be consumed exactly")
        }
        used[Int(outputValue)] = true
        if let unused = (1...nodeCount).first(where: { !used[$0] }) {
            let node = unused - 1
            throw ModelFileError(.badGraph, "node \(node) (\(nodes[node].op.name)) is unused: no node reads its output (value \(unused)) and it is not the graph output (value \(outputValue))")
        }
        return (nodes, Int(outputValue))
    }

    private static func checkArity(_ label: String, _ what: String, _ count: Int, _ allowed: ClosedRange<Int>) throws(ModelFileError) {
        guard allowed.contains(count) else {
            let expected = allowed.count == 1 ? "\(allowed.lowerBound)" : "\(allowed.lowerBound)...\(allowed.upperBound)"
            throw ModelFileError(.badGraph, "\(label) has \(count) \(what); it takes \(expected)")
        }
    }
}
