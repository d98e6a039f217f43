"""Exports of one model file to the engines the benchmark compares with.

- ONNX (torch.onnx.export, TorchScript exporter, opset 17, one static-shape file per input size so
  ONNX Runtime can plan every buffer, as it would for a fixed camera frame), then ONNX Runtime's
  static int8 quantisation: QDQ format, per-output-channel int8 weights, uint8 activations with
  MinMax ranges from a calibration reader over real images.
- ncnn through pnnx (fp32 weights in the .bin: pnnx's default fp16=True would store halves).

The dynamo-based exporter (torch.onnx.export's default since torch 2.9) needs the extra
`onnxscript` package and gives the same graph for this op set; the TorchScript exporter is what
pnnx also traces with, so both exports see the same trace.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import numpy as np
import torch

from .bench_model import GraphModule

ONNX_OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output"


def export_onnx(module: GraphModule, channels: int, size: int, path: Path) -> Path:
    x = torch.zeros(1, channels, size, size)
    with warnings_quiet():
        torch.onnx.export(module, (x,), str(path), opset_version=ONNX_OPSET, dynamo=False,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME])
    return path


class _Reader:
    """onnxruntime CalibrationDataReader over a list of [C,H,W] normalised float32 arrays."""

    def __init__(self, images: list[np.ndarray]):
        self.items = iter([{INPUT_NAME: img[None].astype(np.float32)} for img in images])

    def get_next(self):
        return next(self.items, None)

    def rewind(self):  # not needed by quantize_static's single pass, part of the interface
        pass


def quantize_onnx_int8(fp32_path: Path, int8_path: Path, calibration: list[np.ndarray],
                       activations: str = "uint8") -> Path:
    """ONNX Runtime static quantisation: QDQ, per-channel int8 weights, MinMax activation ranges.
    Activations default to uint8 (U8S8): the format ORT's int8 CPU kernels (MLAS) take natively on
    x86. On this AMD EPYC (AVX-512 VNNI; busy machine, 2 x 20 interleaved runs) S8S8 QDQ ran about
    1.5x slower than U8S8 (min 97-103 vs 59 ms at 256x256, 1 thread): uint8 is ORT's best here."""
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = int8_path.with_suffix(".prep.onnx")
    with warnings_quiet():
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(int8_path), _Reader(calibration),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8 if activations == "uint8" else QuantType.QInt8,
                        weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
    prepared.unlink()
    return int8_path


def export_ncnn(module: GraphModule, channels: int, out_dir: Path) -> tuple[Path, Path]:
    """(param, bin) written by pnnx from a TorchScript trace at 256x256; the ncnn graph has no
    fixed input size (its Interp layers scale by 2), so one export serves every size. This is
    what pnnx.export does, with the pnnx program's output captured instead of printed."""
    import pnnx
    out_dir.mkdir(parents=True, exist_ok=True)
    x = torch.zeros(1, channels, 256, 256)
    pt = out_dir / "model.pt"
    with warnings_quiet():
        torch.jit.trace(module, (x,)).save(str(pt))
    param, binary = out_dir / "model.ncnn.param", out_dir / "model.ncnn.bin"
    cmd = [pnnx.EXEC_PATH, pt.name, f"inputshape=[1,{channels},256,256]f32", "device=cpu",
           "optlevel=2", "fp16=0",  # fp16=1 (the default) would store the weights as halves
           "pnnxparam=model.pnnx.param", "pnnxbin=model.pnnx.bin", "pnnxpy=model_pnnx.py",
           "pnnxonnx=model.pnnx.onnx", f"ncnnparam={param.name}", f"ncnnbin={binary.name}",
           "ncnnpy=model_ncnn.py"]
    # cwd: pnnx leaves side files in its working directory.
    r = subprocess.run(cmd, cwd=out_dir, capture_output=True, text=True)
    if r.returncode != 0 or not param.exists() or not binary.exists():
        raise RuntimeError(f"pnnx failed ({r.returncode}); its output:\n{(r.stdout + r.stderr)[-3000:]}")
    (out_dir / "pnnx.log").write_text(r.stdout + r.stderr)
    return param, binary


def conv_input_absmax(module: GraphModule, calibration: list[np.ndarray]) -> dict[str, float]:
    """max |input| of every convolution over the calibration images (key: module name), the
    MinMax rule ONNX Runtime's calibration uses too, so both int8 engines get the same ranges."""
    peaks: dict[str, float] = {}
    hooks = []
    for name, conv in module.convs.items():
        def hook(_mod, args, name=name):
            peaks[name] = max(peaks.get(name, 0.0), float(args[0].abs().max()))
        hooks.append(conv.register_forward_pre_hook(hook))
    try:
        with torch.no_grad():
            for img in calibration:
                module(torch.from_numpy(img[None].astype(np.float32)))
    finally:
        for h in hooks:
            h.remove()
    return peaks


@contextlib.contextmanager
def warnings_quiet():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
