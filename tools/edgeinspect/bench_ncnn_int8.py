"""An int8 ncnn model from the fp32 one that pnnx wrote, the way ncnn's own ncnn2int8 does it.

Why not ncnn's tools: ncnn quantises with the C++ programs ncnn2table and ncnn2int8, which the
PyPI `ncnn` wheel does not ship (it has the runtime and a model zoo only), and building ncnn from
source is outside this benchmark. The int8 model format is small and documented by the layer's
load_model: a Convolution with param 8=int8_scale_term (2: per-output-channel weight scales)
reads, after its weights and bias, num_output weight scales and one input (bottom blob) scale;
with int8_scale_term > 100 one more scale follows, the input scale of the next convolution, and
the layer then writes int8 straight into it ("fuse_requantize"). Scales are multipliers
(int8 = round(x * scale)): 127 / max|w| per output channel, and 127 / max|input| over the
calibration images (the MinMax rule ONNX Runtime's static quantisation uses here too; ncnn2table
defaults to KL divergence). The weights stay fp32 in the .bin: ncnn quantises them when the net
is loaded with use_int8_inference, with exactly these weight scales.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

TAG_FP32 = 0
WEIGHTLESS = {"Input", "Split", "Concat", "BinaryOp", "Interp", "Sigmoid", "ReLU", "Swish",
              "Eltwise", "UnaryOp", "Crop", "Noop"}


class Layer:
    def __init__(self, line: str):
        parts = line.split()
        self.type, self.name = parts[0], parts[1]
        n_in, n_out = int(parts[2]), int(parts[3])
        self.bottoms = parts[4:4 + n_in]
        self.tops = parts[4 + n_in:4 + n_in + n_out]
        self.params = parts[4 + n_in + n_out:]

    def param(self, key: str, default: int = 0) -> int:
        for p in self.params:
            k, _, v = p.partition("=")
            if k == key:
                return int(v)
        return default

    def line(self) -> str:
        return " ".join([self.type, self.name, str(len(self.bottoms)), str(len(self.tops)),
                         *self.bottoms, *self.tops, *self.params])


def read_conv_weights(param: Path, binary: Path) -> tuple[list[str], list[Layer], list[dict]]:
    """The param file's header lines, its layers, and for every Convolution (in order) its fp32
    weights [out, in*kh*kw] and bias."""
    lines = param.read_text().splitlines()
    header, layers = lines[:2], [Layer(s) for s in lines[2:] if s.strip()]
    blob = binary.read_bytes()
    pos = 0
    convs = []
    for layer in layers:
        if layer.type == "Convolution":
            if layer.param("8") != 0:
                raise ValueError(f"{layer.name} is already quantised")
            out, size, bias = layer.param("0"), layer.param("6"), layer.param("5")
            (tag,) = struct.unpack_from("<I", blob, pos)
            if tag != TAG_FP32:
                raise ValueError(f"{layer.name}: weight tag {tag:#x}, expected fp32 (export with fp16=False)")
            pos += 4
            w = np.frombuffer(blob, "<f4", size, pos).reshape(out, -1)
            pos += 4 * size
            b = None
            if bias:
                b = np.frombuffer(blob, "<f4", out, pos)
                pos += 4 * out
            convs.append({"layer": layer, "weight": w, "bias": b})
        elif layer.type not in WEIGHTLESS:
            raise ValueError(f"layer type {layer.type} ({layer.name}) is not handled by the int8 writer")
    if pos != len(blob):
        raise ValueError(f"{binary}: {len(blob) - pos} bytes left after the last layer")
    return header, layers, convs


def write_int8(param: Path, binary: Path, input_absmax: list[float],
               out_param: Path, out_bin: Path) -> None:
    """input_absmax[i]: max |input| of the i-th Convolution of the param file."""
    header, layers, convs = read_conv_weights(param, binary)
    if len(input_absmax) != len(convs):
        raise ValueError(f"{len(input_absmax)} input ranges for {len(convs)} convolutions")
    in_scale = [127.0 / m if m > 0 else 1.0 for m in input_absmax]
    # Which convolution reads each blob (only blobs read by exactly one layer, a Convolution).
    readers: dict[str, list[Layer]] = {}
    for layer in layers:
        for b in layer.bottoms:
            readers.setdefault(b, []).append(layer)
    conv_index = {id(c["layer"]): i for i, c in enumerate(convs)}

    data = bytearray()
    for i, c in enumerate(convs):
        layer, w = c["layer"], c["weight"]
        absmax = np.abs(w).max(axis=1).astype(np.float64)
        w_scale = np.where(absmax > 0, 127.0 / np.maximum(absmax, 1e-30), 1.0).astype("<f4")
        users = readers.get(layer.tops[0], [])
        fused = len(users) == 1 and users[0].type == "Convolution"
        term = 102 if fused else 2
        layer.params.append(f"8={term}")
        data += struct.pack("<I", TAG_FP32) + w.astype("<f4").tobytes()
        if c["bias"] is not None:
            data += c["bias"].astype("<f4").tobytes()
        data += w_scale.tobytes() + struct.pack("<f", in_scale[i])
        if fused:
            data += struct.pack("<f", in_scale[conv_index[id(users[0])]])
    out_param.write_text("\n".join(header + [layer.line() for layer in layers]) + "\n")
    out_bin.write_bytes(bytes(data))


def conv_order_to_module(convs: list[dict], module) -> list[str]:
    """The GraphModule conv name of each ncnn Convolution, matched by identical weights (pnnx may
    rename and reorder layers; the weights identify them)."""
    names = []
    for c in convs:
        match = [name for name, conv in module.convs.items()
                 if tuple(conv.weight.shape[:1]) == c["weight"].shape[:1]
                 and conv.weight.numel() == c["weight"].size
                 and np.array_equal(conv.weight.detach().numpy().reshape(c["weight"].shape), c["weight"])]
        if len(match) != 1:
            raise ValueError(f"ncnn layer {c['layer'].name}: {len(match)} matching convolutions")
        names.append(match[0])
    return names
