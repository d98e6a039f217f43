"""The network of a model file as a PyTorch module, for exporting it to other engines.

The benchmark must time the SAME trained model everywhere, and an .eim file holds all of it (graph
and weights), so the module is built from the file's graph rather than from a training checkpoint.
Every conv node becomes an nn.Conv2d (exporters map modules to their native conv layers most
reliably); everything else is graph.run_graph itself, so the module computes exactly what the
reference executor computes.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .graph import Node, infer_shapes, run_graph
from .modelfile import ModelFile


class GraphModule(nn.Module):
    """forward(x [N,C,H,W] normalised) -> value `output` of the graph."""

    def __init__(self, mf: ModelFile):
        super().__init__()
        self.nodes: list[Node] = list(mf.nodes)
        self.output = mf.output
        params = mf.params()
        self.convs = nn.ModuleDict()
        for index, node in enumerate(self.nodes):
            if node.op != "conv2d":
                continue
            a = node.attrs
            conv = nn.Conv2d(a["in_channels"], a["out_channels"], (a["kernel_h"], a["kernel_w"]),
                             stride=(a["stride_h"], a["stride_w"]), padding=(a["pad_h"], a["pad_w"]),
                             dilation=(a["dilation_h"], a["dilation_w"]), bias=node.bias is not None)
            with torch.no_grad():
                conv.weight.copy_(params[node.weight])
                if node.bias is not None:
                    conv.bias.copy_(params[node.bias])
            self.convs[str(index)] = conv
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return run_graph(self.nodes, self.output, {}, x, convs=self.convs)


def convolution_macs(mf: ModelFile, height: int, width: int) -> int:
    """Multiply-accumulates of all convolutions counted as direct convolution, the formula of
    Sources/Kernels ConvGeometry.macs summed as Engine.convolutionMACs does (input padded up to the
    model's size multiple first). GFLOP/s everywhere in the benchmark = 2 x this / seconds."""
    mult = mf.meta("input.size_multiple")
    h = -(-height // mult) * mult
    w = -(-width // mult) * mult
    shapes = infer_shapes(mf.nodes, mf.output, {t.name: t.data.shape for t in mf.tensors},
                          mf.meta("input.channels"), h, w)
    total = 0
    for index, node in enumerate(mf.nodes):
        if node.op == "conv2d":
            a = node.attrs
            _, oh, ow = shapes[index + 1]
            total += a["out_channels"] * oh * ow * a["in_channels"] * a["kernel_h"] * a["kernel_w"]
    return total
