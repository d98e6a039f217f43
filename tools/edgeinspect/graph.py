"""The graph of docs/model-format.md as Python objects, and a plain-torch executor for it.

Values are numbered as in the file: value 0 is the (normalised, padded) input image, value k is the
output of node k-1. The executor is the reference that both the export check and the scoring
reference (score.py) run, so it uses only the op set of the file format.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

# op name -> op code, exactly the table of docs/model-format.md.
OP_CODES = {
    "conv2d": 1,
    "relu": 2,
    "leaky_relu": 3,
    "silu": 4,
    "sigmoid": 5,
    "upsample_nearest": 6,
    "upsample_bilinear": 7,
    "concat": 8,
    "add": 9,
    "mix": 10,
}
OP_NAMES = {code: name for name, code in OP_CODES.items()}

# Fused conv activations (conv2d attribute 10).
ACTIVATIONS = {"none": 0, "relu": 1, "leaky_relu": 2, "silu": 3, "sigmoid": 4}
ACTIVATION_NAMES = {code: name for name, code in ACTIVATIONS.items()}

CONV_ATTR_ORDER = (
    "out_channels", "in_channels", "kernel_h", "kernel_w", "stride_h", "stride_w",
    "pad_h", "pad_w", "dilation_h", "dilation_w", "activation", "alpha",
)


def f32_bits(value: float) -> int:
    """The u32 bit pattern of an f32, as the file stores float attributes."""
    return struct.unpack("<I", struct.pack("<f", value))[0]


def bits_f32(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


@dataclass
class Node:
    """One graph node. `attrs` holds Python values (floats as floats, activation as its name);
    `weight`/`bias` name tensors in a parameter dictionary."""

    op: str
    inputs: list[int]
    attrs: dict = field(default_factory=dict)
    weight: str | None = None
    bias: str | None = None

    def attr_words(self) -> list[int]:
        """Attributes as the u32 words of the file, in the order of the op table."""
        a = self.attrs
        if self.op == "conv2d":
            words = []
            for key in CONV_ATTR_ORDER:
                if key == "activation":
                    words.append(ACTIVATIONS[a["activation"]])
                elif key == "alpha":
                    words.append(f32_bits(float(a.get("alpha", 0.0))))
                else:
                    words.append(int(a[key]))
            return words
        if self.op == "leaky_relu":
            return [f32_bits(float(a["alpha"]))]
        if self.op in ("upsample_nearest", "upsample_bilinear"):
            return [int(a["scale"])]
        return []

    def tensor_names(self) -> list[str]:
        return [n for n in (self.weight, self.bias) if n is not None]

    @staticmethod
    def from_words(op_code: int, inputs: list[int], words: list[int], tensor_names: list[str]) -> "Node":
        """Inverse of attr_words()/tensor_names(); op arity is checked by the file reader."""
        op = OP_NAMES[op_code]
        attrs: dict = {}
        weight = bias = None
        if op == "conv2d":
            for key, word in zip(CONV_ATTR_ORDER, words):
                if key == "activation":
                    attrs[key] = ACTIVATION_NAMES[word]
                elif key == "alpha":
                    attrs[key] = bits_f32(word)
                else:
                    attrs[key] = word
            weight = tensor_names[0]
            bias = tensor_names[1] if len(tensor_names) > 1 else None
        elif op == "leaky_relu":
            attrs["alpha"] = bits_f32(words[0])
        elif op in ("upsample_nearest", "upsample_bilinear"):
            attrs["scale"] = words[0]
        return Node(op, list(inputs), attrs, weight, bias)


def conv_node(inp: int, weight: str, bias: str | None, w_shape, stride=1, pad=None,
              dilation=1, activation="none", alpha=0.0) -> Node:
    out_c, in_c, kh, kw = w_shape
    if pad is None:
        pad = dilation * (kh // 2)
    return Node("conv2d", [inp], {
        "out_channels": out_c, "in_channels": in_c, "kernel_h": kh, "kernel_w": kw,
        "stride_h": stride, "stride_w": stride, "pad_h": pad, "pad_w": pad,
        "dilation_h": dilation, "dilation_w": dilation,
        # Stored as f32 in the file: keep the f32-rounded value so the node list round-trips.
        "activation": activation, "alpha": float(np.float32(alpha)),
    }, weight, bias)


def _activate(x: torch.Tensor, name: str, alpha: float) -> torch.Tensor:
    if name == "none":
        return x
    if name == "relu":
        return F.relu(x)
    if name == "leaky_relu":
        return F.leaky_relu(x, alpha)
    if name == "silu":
        return F.silu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    raise ValueError(f"unknown activation {name}")


def int8_conv(x: torch.Tensor, act_scale: float, q: torch.Tensor, w_scales: torch.Tensor,
              b: torch.Tensor | None, a: dict) -> torch.Tensor:
    """A conv2d as the runtime's int8 path computes it: x quantised to round_half_even(x * (1/s))
    clamped to -127..127 (float32, like CKernels), exact integer sums (float64 holds them exactly),
    then float32 sum * (s * w_scale[o]) + bias."""
    inv = np.float32(1.0) / np.float32(act_scale)
    xq = torch.clamp(torch.round(x.float() * torch.tensor(inv)), -127, 127).double()
    sums = F.conv2d(xq, q, None, stride=(a["stride_h"], a["stride_w"]), padding=(a["pad_h"], a["pad_w"]),
                    dilation=(a["dilation_h"], a["dilation_w"]))
    scale = torch.tensor(np.float32(act_scale)) * w_scales
    y = sums.float() * scale[None, :, None, None]
    return y + b[None, :, None, None] if b is not None else y


def run_graph(nodes: list[Node], output: int, params: dict[str, torch.Tensor],
              x: torch.Tensor, int8: dict | None = None, on_conv=None, convs=None) -> torch.Tensor:
    """Execute the node list on x [N,C,H,W] with plain torch ops; returns value `output`.
    int8: ModelFile.int8_nodes(), the convolutions to run as the int8 path does.
    on_conv(index, input): called with each conv2d's input (activation calibration).
    convs: {str(index): module} run instead of F.conv2d with `params` (activation still applied
    here): exporters map nn.Conv2d modules to their native conv layers most reliably."""
    values: list[torch.Tensor] = [x]
    for index, node in enumerate(nodes):
        for v in node.inputs:
            if v > index:
                raise ValueError(f"node {index} reads value {v} that is not computed yet")
        ins = [values[v] for v in node.inputs]
        a = node.attrs
        if node.op == "conv2d":
            if on_conv is not None:
                on_conv(index, ins[0])
            b = params[node.bias] if node.bias is not None and convs is None else None
            if convs is not None:
                y = convs[str(index)](ins[0])
            elif int8 and index in int8:
                s, q, w_scales = int8[index]
                y = int8_conv(ins[0], s, q, w_scales, b, a)
            else:
                y = F.conv2d(ins[0], params[node.weight], b, stride=(a["stride_h"], a["stride_w"]),
                             padding=(a["pad_h"], a["pad_w"]),
                             dilation=(a["dilation_h"], a["dilation_w"]))
            y = _activate(y, a["activation"], a["alpha"])
        elif node.op == "relu":
            y = F.relu(ins[0])
        elif node.op == "leaky_relu":
            y = F.leaky_relu(ins[0], a["alpha"])
        elif node.op == "silu":
            y = F.silu(ins[0])
        elif node.op == "sigmoid":
            y = torch.sigmoid(ins[0])
        elif node.op == "upsample_nearest":
            y = F.interpolate(ins[0], scale_factor=a["scale"], mode="nearest")
        elif node.op == "upsample_bilinear":
            y = F.interpolate(ins[0], scale_factor=a["scale"], mode="bilinear", align_corners=False)
        elif node.op == "concat":
            y = torch.cat(ins, dim=1)
        elif node.op == "add":
            y = ins[0] + ins[1]
        elif node.op == "mix":
            gate, first, second = ins
            y = gate * first + (1.0 - gate) * second
        else:
            raise ValueError(f"unknown op {node.op}")
        values.append(y)
    return values[output]


def infer_shapes(nodes: list[Node], output: int, params_shapes: dict[str, tuple],
                 channels: int, height: int, width: int) -> list[tuple[int, int, int]]:
    """Channel/size of every value for one input, with the consistency checks of the format
    (raises ValueError on a mismatch). Mirrors what the Swift reader checks on its probe input."""
    shapes = [(channels, height, width)]
    for index, node in enumerate(nodes):
        ins = []
        for v in node.inputs:
            if v > index:
                raise ValueError(f"node {index}: forward reference to value {v} (cycle)")
            ins.append(shapes[v])
        a = node.attrs
        if node.op == "conv2d":
            c, h, w = ins[0]
            if a["in_channels"] != c:
                raise ValueError(f"node {index}: conv in_channels {a['in_channels']} != input {c}")
            wshape = tuple(params_shapes[node.weight])
            want = (a["out_channels"], a["in_channels"], a["kernel_h"], a["kernel_w"])
            if wshape != want:
                raise ValueError(f"node {index}: weight shape {wshape} != attributes {want}")
            if node.bias is not None and tuple(params_shapes[node.bias]) != (a["out_channels"],):
                raise ValueError(f"node {index}: bias shape mismatch")
            eff_h = a["dilation_h"] * (a["kernel_h"] - 1) + 1
            eff_w = a["dilation_w"] * (a["kernel_w"] - 1) + 1
            oh = (h + 2 * a["pad_h"] - eff_h) // a["stride_h"] + 1
            ow = (w + 2 * a["pad_w"] - eff_w) // a["stride_w"] + 1
            if oh < 1 or ow < 1:
                raise ValueError(f"node {index}: conv output is empty")
            shapes.append((a["out_channels"], oh, ow))
        elif node.op in ("relu", "leaky_relu", "silu", "sigmoid"):
            shapes.append(ins[0])
        elif node.op in ("upsample_nearest", "upsample_bilinear"):
            c, h, w = ins[0]
            shapes.append((c, h * a["scale"], w * a["scale"]))
        elif node.op == "concat":
            if len({s[1:] for s in ins}) != 1:
                raise ValueError(f"node {index}: concat spatial sizes differ")
            shapes.append((sum(s[0] for s in ins), ins[0][1], ins[0][2]))
        elif node.op in ("add", "mix"):
            if len(set(ins)) != 1:
                raise ValueError(f"node {index}: {node.op} operand shapes differ: {ins}")
            shapes.append(ins[0])
        else:
            raise ValueError(f"node {index}: unknown op {node.op}")
    if shapes[output] != (channels, height, width):
        raise ValueError(f"graph output {shapes[output]} != input {(channels, height, width)}")
    return shapes


def unused_nodes(nodes: list[Node], output: int) -> list[int]:
    """Indices of nodes whose value does not contribute to the output."""
    live = {output}
    for index in range(len(nodes) - 1, -1, -1):
        if index + 1 in live:
            live.update(nodes[index].inputs)
    return [i for i in range(len(nodes)) if i + 1 not in live]
