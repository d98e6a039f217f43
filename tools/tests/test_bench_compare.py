"""bench-compare's pieces that need no engine packages (graph module, MAC count, the ncnn int8
writer, the peak-FMA program), and one tiny end-to-end run that skips when the optional `bench`
extra (onnxruntime, ncnn, pnnx) is not installed, as in CI's lean venv."""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from edgeinspect.bench_model import GraphModule, convolution_macs
from edgeinspect.bench_ncnn_int8 import read_conv_weights, write_int8
from edgeinspect.graph import run_graph
from edgeinspect.modelfile import read

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "weights" / "synthetic-texture.eim"


def test_graph_module_computes_what_run_graph_computes():
    mf = read(str(MODEL))
    x = torch.randn(1, 1, 40, 56, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = GraphModule(mf)(x)
        b = run_graph(mf.nodes, mf.output, mf.params(), x)
    assert a.shape == b.shape
    assert torch.allclose(a, b, atol=1e-5, rtol=0)


def test_convolution_macs_by_hand():
    mf = read(str(MODEL))
    # The direct-convolution count of the shipped model, summed layer by layer from model.py's
    # shape walk (widths 16/32/64), for a 256x256 input.
    h = 256
    by_hand = (16 * 1 * 9 * h * h + 32 * 16 * 9 * (h // 2) ** 2 + 32 * 32 * 9 * (h // 2) ** 2
               + 64 * 32 * 9 * (h // 4) ** 2 + 64 * 64 * 9 * (h // 8) ** 2
               + 3 * 64 * 64 * 9 * (h // 8) ** 2                    # dilated middle
               + 64 * 64 * 9 * (h // 4) ** 2 + 64 * 128 * (h // 4) ** 2   # dec1, gate1
               + 32 * 64 * 9 * (h // 2) ** 2 + 32 * 64 * (h // 2) ** 2    # dec2, gate2
               + 16 * 32 * 9 * h * h + 1 * 16 * 9 * h * h)                # dec3, out
    assert convolution_macs(mf, 256, 256) == by_hand
    # Sizes are padded up to the size multiple first, as Engine.convolutionMACs does.
    assert convolution_macs(mf, 250, 251) == convolution_macs(mf, 256, 256)


def _conv_line(name, bottom, top, out, size):
    return (f"Convolution {name} 1 1 {bottom} {top} 0={out} 1=3 11=3 2=1 12=1 3=1 13=1 4=1 14=1 "
            f"5=1 6={size} 9=2 -23310=1,0.2")


def test_ncnn_int8_writer_layout(tmp_path):
    rng = np.random.default_rng(1)
    w1, b1 = rng.standard_normal((4, 2 * 9)).astype("<f4"), rng.standard_normal(4).astype("<f4")
    w2, b2 = rng.standard_normal((3, 4 * 9)).astype("<f4"), rng.standard_normal(3).astype("<f4")
    w1[2] = 0  # an all-zero channel gets scale 1, never a division by zero
    param = tmp_path / "m.param"
    param.write_text("\n".join(["7767517", "4 4", "Input in0 0 1 in0",
                                _conv_line("c1", "in0", "a", 4, w1.size),
                                _conv_line("c2", "a", "b", 3, w2.size),
                                "Sigmoid s 1 1 b out0"]) + "\n")
    binary = tmp_path / "m.bin"
    binary.write_bytes(b"".join([struct.pack("<I", 0), w1.tobytes(), b1.tobytes(),
                                 struct.pack("<I", 0), w2.tobytes(), b2.tobytes()]))
    write_int8(param, binary, [2.0, 5.0], tmp_path / "q.param", tmp_path / "q.bin")

    lines = (tmp_path / "q.param").read_text().splitlines()
    assert lines[3].endswith(" 8=102"), "c1 feeds only c2: requantise straight into it"
    assert lines[4].endswith(" 8=2"), "c2 feeds a Sigmoid: dequantise to fp32"
    blob = (tmp_path / "q.bin").read_bytes()
    pos = 4 + w1.nbytes + b1.nbytes
    assert blob[4:4 + w1.nbytes] == w1.tobytes(), "weights stay fp32; ncnn quantises at load"
    s1 = np.frombuffer(blob, "<f4", 4, pos)
    expect = np.abs(w1).max(axis=1)
    np.testing.assert_allclose(s1, np.where(expect > 0, 127 / np.maximum(expect, 1e-30), 1.0), rtol=1e-6)
    assert s1[2] == 1.0
    bottom, top = struct.unpack_from("<ff", blob, pos + 16)
    assert bottom == pytest.approx(127 / 2.0) and top == pytest.approx(127 / 5.0)
    pos += 16 + 8
    assert struct.unpack_from("<I", blob, pos)[0] == 0
    pos += 4 + w2.nbytes + b2.nbytes + 3 * 4
    assert struct.unpack_from("<f", blob, pos)[0] == pytest.approx(127 / 5.0)
    assert len(blob) == pos + 4
    # The written pair reads back: the same weights, and refuses to quantise twice.
    _, _, convs = read_conv_weights(tmp_path / "m.param", binary)
    assert [c["weight"].shape for c in convs] == [(4, 18), (3, 36)]
    with pytest.raises(ValueError, match="already quantised"):
        read_conv_weights(tmp_path / "q.param", tmp_path / "m.bin")


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")
def test_peak_program_uses_vector_fma():
    from edgeinspect.bench_peak import measure_peak
    peak = measure_peak([1], repeats=1, seconds=0.02)
    assert peak["fma_instructions"] > 0
    assert peak["gflops"][1] > 0


@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("onnxruntime", "ncnn", "pnnx", "onnx")),
                    reason="the optional bench extra is not installed (tools/setup-venv.sh --bench)")
def test_bench_compare_end_to_end_tiny(tmp_path):
    """Every engine exports, passes its output check and is timed once at 64x64."""
    out = tmp_path / "bench"
    r = subprocess.run([sys.executable, "-m", "edgeinspect", "bench-compare", "--quick", "--runs", "1",
                        "--sizes", "64", "--threads", "1", "--engines", "ort-fp32,ort-int8,ncnn-fp32,ncnn-int8",
                        "--out", str(out)], capture_output=True, text=True, timeout=600,
                       cwd=REPO / "tools")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    report = json.loads((out / "bench.json").read_text())
    rows = report["rows"]
    assert {row["engine"] for row in rows} == {"ort-fp32", "ort-int8", "ncnn-fp32", "ncnn-int8"}
    for row in rows:
        assert row["check"]["ok"], row
        assert row["latency_ms"]["runs"] == 1
    assert (out / "bench.md").read_text().count("| 64 | 1 |") == 4


def test_latency_from_runs_and_from_round_summaries():
    from edgeinspect.bench_report import latency
    runs = latency({"times_ms": [5.0, 1.0, 3.0, 2.0, 4.0], "summaries": []})
    assert (runs["min"], runs["median"], runs["runs"]) == (1.0, 3.0, 5)
    rounds = latency({"times_ms": [], "summaries": [
        {"min": 2.0, "median": 3.0, "p99": 9.0, "runs": 10},
        {"min": 1.0, "median": 5.0, "p99": 6.0, "runs": 10},
        {"min": 4.0, "median": 4.0, "p99": 7.0, "runs": 10}]})
    assert rounds == {"min": 1.0, "median": 4.0, "p99": 9.0, "runs": 30}


def test_swift_bench_command_reads_the_same_png_when_it_can():
    from edgeinspect.bench_swift import _bench_command
    exe, model, png = Path("edge-inspect"), Path("m.eim"), Path("input-256.png")
    with_image = _bench_command(exe, "--size HxW ... --image FILE ...", model, png, 256, 2, 3, 10)
    assert with_image[:2] == ["edge-inspect", "bench"]
    assert with_image[with_image.index("--image") + 1] == str(png) and "--size" not in with_image
    assert with_image[with_image.index("--threads") + 1] == "2"
    assert with_image[with_image.index("--iterations") + 1] == "10"
    size_only = _bench_command(exe, "--size HxW", model, png, 512, 1, 3, 10)
    assert size_only[size_only.index("--size") + 1] == "512x512"
