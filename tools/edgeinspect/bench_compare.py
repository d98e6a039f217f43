"""bench-compare: the same trained model on ONNX Runtime (fp32, static int8 QDQ), ncnn (fp32, int8)
and the Swift runtime, timed side by side in one run.

    python -m edgeinspect bench-compare --model ../weights/synthetic-texture.eim \
        --swift-bin ../.build/release/edge-inspect [--quick]

What it does, in order:
1. Builds the network from the .eim (graph + weights: no training checkpoint needed) as a PyTorch
   module and exports it: ONNX per input size, ORT static int8 QDQ calibrated on real images, ncnn
   through pnnx, and ncnn int8 (bench_ncnn_int8.py).
2. Checks every engine's output against PyTorch on the timed input before timing it; an engine
   whose output differs by more than the tolerance is reported and not timed.
3. Measures this machine's peak fp32 FMA rate (bench_peak.py).
4. Times every engine at each size and thread count in its own process (bench_worker.py), in
   rounds that rotate the engine order, so slow drifts of a busy machine spread over all engines.
5. Prints a markdown table (median, min, p99, GFLOP/s counted as direct convolution, fraction of
   peak, ratio to ONNX Runtime fp32) and writes bench.md and bench.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bench_report import build_rows, latency, machine_info, markdown

REPO_ROOT = Path(__file__).resolve().parents[2]
# Output tolerance against PyTorch in pixel units (normalised output x input.std), as (max, mean)
# of |difference|. fp32 engines differ by summation order only (about 1e-6 here), so a wrong op
# fails at once. The int8 graphs are quantised copies of graphs that passed the fp32 check, so
# their check only has to catch broken quantisation (wrong scales: errors of the image's contrast,
# 0.1-1 px); rounding and the clipping of rare peaks by MinMax ranges stay well inside it.
TOLERANCE_PX = {"fp32": (1e-4, 1e-5), "int8": (0.1, 0.01)}
# The Swift engine is checked by its score against the reference scorer on the same file. An i8
# file's reference emulates the int8 path, but a requantised value that lands on a rounding edge
# may round the other way, and that moves scores by 0.5-1.5 % here: the int8 bound is the one the
# runtime's own int8 parity tests use.
SWIFT_SCORE_RTOL = {"fp32": 1e-3, "int8": 0.05}
BASELINE = "ort-fp32"
ENGINE_KEYS = {"ort-fp32", "ort-int8", "ncnn-fp32", "ncnn-int8", "swift"}
FULL = {"runs": 30, "warmup": 5, "rounds": 3, "calib_images": 16}
QUICK = {"runs": 5, "warmup": 1, "rounds": 1, "calib_images": 8}


@dataclass
class Engine:
    key: str            # ort-fp32, ort-int8, ncnn-fp32, ncnn-int8, swift, swift-i8file
    label: str
    precision: str      # fp32 or int8
    files: dict = field(default_factory=dict)   # size -> model paths for the worker
    check: dict = field(default_factory=dict)   # size -> {'ok', 'max_abs_px', ...}
    note: str = ""


# ---------------------------------------------------------------- inputs

def _synthetic(split: str, index: int, size: int) -> np.ndarray:
    from . import synth
    return synth.good_image(split, index, size)[None]


def _folder_images(folder: Path) -> list[Path]:
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if len(paths) < 2:
        raise SystemExit(f"--images {folder}: need at least 2 PNG/JPEG images (1 timed, 1+ calibration)")
    return paths


def make_inputs(mf, size: int, calib_count: int, images: Path | None, work: Path):
    """(timed input PNG, its normalised [1,C,H,W] float32, calibration list of normalised
    [C,H,W] float32, a sentence naming the source). The timed image goes through a PNG so the
    Swift runtime reads exactly the same pixels."""
    from PIL import Image

    from .score import load_image, resize
    channels = mf.meta("input.channels")
    mean = np.array(mf.meta("input.mean"))[:, None, None]
    std = np.array(mf.meta("input.std"))[:, None, None]
    if images is None:
        timed = _synthetic("test", 0, size)
        calib = [_synthetic("train", i, size) for i in range(calib_count)]
        source = "synthetic (edgeinspect.synth: test image 0; calibration: train images 0..)"
    else:
        paths = _folder_images(images)
        fit = lambda p: resize(load_image(str(p), channels), size, size)  # noqa: E731
        timed = fit(paths[0])
        calib = [fit(p) for p in paths[1:1 + calib_count]]
        source = f"{images} (timed: {paths[0].name}; calibration: the next {len(calib)})"
    png = work / f"input-{size}.png"
    pixels = np.rint(np.clip(timed, 0, 1) * 255).astype(np.uint8)
    Image.fromarray(pixels[0] if channels == 1 else pixels.transpose(1, 2, 0)).save(png)
    x = ((load_image(str(png), channels) - mean) / std).astype(np.float32)[None]
    calib_n = [((c - mean) / std).astype(np.float32) for c in calib]
    return png, x, calib_n, source


# ---------------------------------------------------------------- engines

def prepare_engines(args, mf, module, sizes, inputs, work: Path) -> list[Engine]:
    from .bench_export import conv_input_absmax, export_ncnn, export_onnx, quantize_onnx_int8
    from .bench_ncnn_int8 import conv_order_to_module, read_conv_weights, write_int8
    channels = mf.meta("input.channels")
    wanted = set(args.engines.split(","))
    engines: list[Engine] = []
    models = work / "models"
    models.mkdir(parents=True, exist_ok=True)

    if wanted & {"ort-fp32", "ort-int8"}:
        fp32 = Engine("ort-fp32", "ONNX Runtime fp32", "fp32")
        int8 = Engine("ort-int8", "ONNX Runtime int8 (static QDQ)", "int8",
                      note=f"{args.ort_int8_activations} activations, int8 per-channel weights")
        for size in sizes:
            path = export_onnx(module, channels, size, models / f"model-{size}.onnx")
            fp32.files[size] = [str(path)]
            if "ort-int8" in wanted:
                q = quantize_onnx_int8(path, models / f"model-{size}.int8.onnx", inputs[size][2],
                                       args.ort_int8_activations)
                int8.files[size] = [str(q)]
        engines += [e for e in (fp32, int8) if e.key in wanted]

    if wanted & {"ncnn-fp32", "ncnn-int8"}:
        param, binary = export_ncnn(module, channels, models / "ncnn")
        fp32 = Engine("ncnn-fp32", "ncnn fp32", "fp32")
        int8 = Engine("ncnn-int8", "ncnn int8", "int8",
                      note="quantised like ncnn2int8 (not in the ncnn wheel): bench_ncnn_int8.py")
        _, _, convs = read_conv_weights(param, binary)
        names = conv_order_to_module(convs, module)
        for size in sizes:
            fp32.files[size] = [str(param), str(binary)]
            if "ncnn-int8" in wanted:
                peaks = conv_input_absmax(module, inputs[size][2])
                p8, b8 = models / f"ncnn-int8-{size}.param", models / f"ncnn-int8-{size}.bin"
                write_int8(param, binary, [peaks[n] for n in names], p8, b8)
                int8.files[size] = [str(p8), str(b8)]
        engines += [e for e in (fp32, int8) if e.key in wanted]

    if "swift" in wanted:
        exe = swift_binary(args)
        if exe is None:
            print("bench-compare: no edge-inspect binary (build it with `swift build -c release` or "
                  "give --swift-bin); the Swift runtime is left out", file=sys.stderr)
        else:
            engines.append(Engine("swift", "edge-inspect (Swift)", "fp32",
                                  files={s: [str(exe), str(args.model)] for s in sizes}))
            if args.swift_int8_model:
                engines.append(Engine("swift-i8file", "edge-inspect, i8 model file", "int8",
                                      files={s: [str(exe), str(args.swift_int8_model)] for s in sizes}))
    return engines


def swift_binary(args) -> Path | None:
    for candidate in (args.swift_bin, os.environ.get("EDGE_INSPECT_BIN"),
                      REPO_ROOT / ".build" / "release" / "edge-inspect"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def run_worker(engine: Engine, size: int, threads: int, x_path: Path, warmup: int, runs: int,
               output: Path | None = None) -> dict:
    kind = {"ort-fp32": "ort", "ort-int8": "ort", "ncnn-fp32": "ncnn", "ncnn-int8": "ncnn-int8"}[engine.key]
    cmd = [sys.executable, "-m", "edgeinspect.bench_worker", kind, *engine.files[size],
           "--input", str(x_path), "--threads", str(threads), "--warmup", str(warmup),
           "--runs", str(runs)]
    if output:
        cmd += ["--output", str(output)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                           os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{engine.key} worker failed: {r.stderr.strip()[-1500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def time_engine(engine: Engine, size: int, threads: int, x_path: Path, png: Path,
                warmup: int, runs: int) -> dict:
    from .bench_swift import time_swift
    if engine.key.startswith("swift"):
        exe, model = engine.files[size]
        return time_swift(Path(exe), Path(model), png, size, threads, warmup, runs)
    return run_worker(engine, size, threads, x_path, warmup, runs)


# ---------------------------------------------------------------- checks

def check_engine(engine: Engine, size: int, x_path: Path, png: Path, ref: np.ndarray,
                 std: float, work: Path) -> dict:
    """Run once and compare with PyTorch; never raises for a wrong output, reports it."""
    from .bench_swift import score_once
    from .modelfile import read
    from .score import Scorer
    try:
        if engine.key.startswith("swift"):
            exe, model = engine.files[size]
            score = score_once(Path(exe), Path(model), png, 1)
            # Against the reference scorer with the same file (an i8 file: its dequantised
            # weights, as the golden tests do).
            ref_score = Scorer(read(model)).score_file(str(png)).score
            rel, tol = abs(score / ref_score - 1), SWIFT_SCORE_RTOL[engine.precision]
            return {"ok": rel <= tol, "score": score, "reference_score": ref_score,
                    "score_rel_diff": rel, "tolerance": tol}
        out = work / f"out-{engine.key}-{size}.npy"
        run_worker(engine, size, 1, x_path, 0, 0, output=out)
        y = np.load(out)
        if y.shape != ref.shape:
            return {"ok": False, "error": f"output shape {y.shape} != {ref.shape}"}
        d = np.abs(y.astype(np.float64) - ref) * std
        tol_max, tol_mean = TOLERANCE_PX[engine.precision]
        return {"ok": bool(d.max() <= tol_max and d.mean() <= tol_mean), "max_abs_px": float(d.max()),
                "mean_abs_px": float(d.mean()), "tolerance_px": {"max": tol_max, "mean": tol_mean}}
    except (RuntimeError, OSError, ValueError) as e:
        return {"ok": False, "error": str(e)}


# ---------------------------------------------------------------- phases

def run_checks(engines: list[Engine], sizes, inputs, refs, std: float, work: Path) -> None:
    for e in engines:
        for size in sizes:
            png, x_path, _ = inputs[size]
            c = e.check[size] = check_engine(e, size, x_path, png, refs[size], std, work)
            status = "ok" if c["ok"] else "MISMATCH, not timed"
            detail = c.get("error") or (f"|diff| max {c['max_abs_px']:.2e} px, mean {c['mean_abs_px']:.1e}"
                                        if "max_abs_px" in c
                                        else f"score rel diff {c['score_rel_diff']:.1e}")
            print(f"  {e.label:34s} {size}x{size}: {status} ({detail})", flush=True)


def measure_peaks(threads: list[int], repeats: int) -> tuple[dict, dict | None]:
    """The machine's peak, and on an x86 machine wider than AVX2 also the AVX2 peak: what a
    -target-cpu haswell build (EDGEINSPECT_TARGET_CPU=haswell, or a CPU without AVX-512) can reach."""
    from .bench_peak import measure_peak
    show = lambda p: ", ".join(f"{t} thread(s) {g:.1f}" for t, g in p["gflops"].items())  # noqa: E731
    peak = measure_peak(threads, repeats=repeats)
    print(f"  {show(peak)} GFLOP/s ({peak['cflags']})", flush=True)
    peak_avx2 = None
    if platform.machine() == "x86_64" and peak["lanes"] > 8:
        peak_avx2 = measure_peak(threads, repeats=repeats, march="haswell")
        print(f"  {show(peak_avx2)} GFLOP/s ({peak_avx2['cflags']})", flush=True)
    return peak, peak_avx2


def run_rounds(engines: list[Engine], sizes, threads, inputs, runs: int, rounds: int,
               warmup: int) -> dict[tuple, dict]:
    """(engine key, size, threads) -> accumulated times; engines whose check failed are left out.
    Rounds rotate the engine order so that a slow drift of a busy machine hits all engines."""
    per_round = [runs // rounds + (1 if r < runs % rounds else 0) for r in range(rounds)]
    results: dict[tuple, dict] = {}
    for size in sizes:
        png, x_path, _ = inputs[size]
        live = [e for e in engines if e.check[size]["ok"]]
        for t in threads:
            for r, n in enumerate(per_round):
                k = r % len(live) if live else 0
                for e in live[k:] + live[:k]:
                    res = time_engine(e, size, t, x_path, png, warmup, n)
                    acc = results.setdefault((e.key, size, t), {"times_ms": [], "summaries": [],
                                                                "load_ms": [], "peak_rss_kb": []})
                    acc["times_ms"] += res.get("times_ms", [])
                    if res.get("summary_ms"):
                        acc["summaries"].append(res["summary_ms"])
                    acc["mode"] = res.get("mode", "worker")
                    acc["extra"] = {k: res[k] for k in ("command", "frame_ms", "first_frame_ms", "layers",
                                                        "reported_peak_rss_bytes")
                                    if res.get(k) is not None}
                    for key in ("load_ms", "peak_rss_kb"):
                        if res.get(key) is not None:
                            acc[key].append(res[key])
            medians = ", ".join(f"{e.key} {latency(results[(e.key, size, t)])['median']:.1f}" for e in live)
            print(f"  {size}x{size}, {t} thread(s): median ms {medians}", flush=True)
    return results


# ---------------------------------------------------------------- command

def add_arguments(p) -> None:
    p.add_argument("--model", type=Path, default=REPO_ROOT / "weights" / "synthetic-texture.eim",
                   help="model file (.eim) every engine runs (default: weights/synthetic-texture.eim)")
    p.add_argument("--swift-bin", type=Path, help="edge-inspect binary (default: $EDGE_INSPECT_BIN, "
                   "then .build/release/edge-inspect)")
    p.add_argument("--swift-int8-model", type=Path,
                   help="also time edge-inspect on this i8 model file (default: <model>-int8.eim beside "
                   "the model, when it exists)")
    p.add_argument("--engines", default="ort-fp32,ort-int8,ncnn-fp32,ncnn-int8,swift",
                   help="comma-separated subset of ort-fp32, ort-int8, ncnn-fp32, ncnn-int8, swift")
    p.add_argument("--sizes", default="256,512", help="square input sizes (default 256,512)")
    p.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    p.add_argument("--runs", type=int, help="timed runs per configuration (default 30; --quick 5)")
    p.add_argument("--warmup", type=int, help="warm-up runs before each round (default 5; --quick 1)")
    p.add_argument("--rounds", type=int, help="split the runs into this many rounds, engine order "
                   "rotated each round (default 3; --quick 1)")
    p.add_argument("--calib-images", type=int, help="calibration images for int8 (default 16; --quick 8)")
    p.add_argument("--ort-int8-activations", choices=["uint8", "int8"], default="uint8",
                   help="activation type of the ORT int8 model (default uint8: U8S8, ORT's fast x86 path)")
    p.add_argument("--images", type=Path, help="folder of real images: the first is timed, the next "
                   "--calib-images calibrate int8 (default: synthetic images)")
    p.add_argument("--out", type=Path, default=Path("runs/bench-compare"),
                   help="folder for exported models, bench.json and bench.md")
    p.add_argument("--quick", action="store_true",
                   help="a short smoke run; options given explicitly still win")


def main(args) -> None:
    import torch

    from .bench_model import GraphModule, convolution_macs
    from .modelfile import read

    preset = QUICK if args.quick else FULL
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    missing = [m for m in ("onnx", "onnxruntime", "ncnn", "pnnx") if _absent(m)]
    if missing:
        raise SystemExit(f"bench-compare needs {', '.join(missing)}: "
                         "pip install -e 'tools[bench]' (see tools/README.md)")
    if args.swift_int8_model is None:
        sibling = args.model.with_name(args.model.stem + "-int8.eim")
        args.swift_int8_model = sibling if sibling.exists() else None
    sizes = [int(s) for s in args.sizes.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    unknown = set(args.engines.split(",")) - ENGINE_KEYS
    if unknown:
        raise SystemExit(f"--engines: unknown {', '.join(sorted(unknown))} (known: {', '.join(sorted(ENGINE_KEYS))})")
    args.rounds = max(1, min(args.rounds, args.runs))
    work = args.out
    work.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # the exporters' reference runs stay off the timed cores' budget

    mf = read(str(args.model))
    mult = mf.meta("input.size_multiple")
    if any(s % mult for s in sizes):
        # The runtime would pad such an input and the exported graphs would not: not the same work.
        raise SystemExit(f"--sizes: every size must be a multiple of the model's size multiple {mult}")
    dataset = mf.meta("train.dataset") if "train.dataset" in mf.metadata else ""
    if args.images is None and "synthetic" not in dataset:
        print("bench-compare: note: this model was not trained on the synthetic texture; give --images "
              "with its own kind of images so that int8 calibration sees real ranges", file=sys.stderr)
    module = GraphModule(mf)
    std = float(np.mean(mf.meta("input.std")))
    info = machine_info()
    print(f"bench-compare: {args.model} on {info['cpu']} ({info['cores']} cores), "
          f"load average {info['loadavg_start'][0]:.2f}", flush=True)

    inputs, refs = {}, {}  # size -> (png, npy path, calibration), PyTorch output
    for size in sizes:
        png, x, calib, source = make_inputs(mf, size, args.calib_images, args.images, work)
        x_path = work / f"input-{size}.npy"
        np.save(x_path, x)
        with torch.no_grad():
            ref = module(torch.from_numpy(x)).numpy().astype(np.float64)
        inputs[size] = (png, x_path, calib)
        refs[size] = ref

    print("exporting: ONNX, ONNX int8 (calibrating), ncnn (pnnx), ncnn int8 ...", flush=True)
    engines = prepare_engines(args, mf, module, sizes, inputs, work)

    print("checking outputs against PyTorch ...", flush=True)
    run_checks(engines, sizes, inputs, refs, std, work)
    print("measuring peak FMA rate ...", flush=True)
    peak, peak_avx2 = measure_peaks(threads, 2 if args.quick else 5)
    print("timing ...", flush=True)
    results = run_rounds(engines, sizes, threads, inputs, args.runs, args.rounds, args.warmup)
    print("measuring peak FMA rate again (the higher of the two counts) ...", flush=True)
    peak, peak_avx2 = _higher(peak, peak_avx2, *measure_peaks(threads, 2 if args.quick else 5))
    info["loadavg_end"] = list(os.getloadavg())
    rows = build_rows(engines, results, sizes, threads,
                      lambda s: convolution_macs(mf, s, s), peak["gflops"], BASELINE)

    report = {
        "model": str(args.model), "sizes": sizes, "threads": threads,
        "gmac": {str(s): convolution_macs(mf, s, s) / 1e9 for s in sizes},
        "runs": args.runs, "warmup_per_round": args.warmup, "rounds": args.rounds,
        "input": source, "machine": info,
        "peak": {**peak, "gflops": {str(k): v for k, v in peak["gflops"].items()}},
        "peak_avx2": peak_avx2 and {**peak_avx2, "gflops": {str(k): v for k, v in peak_avx2["gflops"].items()}},
        "command": " ".join(["python -m edgeinspect bench-compare"] + sys.argv[2:]),
        "rows": rows, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    table = markdown(report)
    (work / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (work / "bench.md").write_text(table + "\n")
    print()
    print(table)
    print(f"\nwrote {work / 'bench.json'} and {work / 'bench.md'}")


def _higher(peak: dict, avx2: dict | None, again: dict, avx2_again: dict | None):
    """Per thread count, the higher of two peak measurements: a busy machine can only lower it."""
    def merge(a, b):
        if a is None or b is None:
            return a or b
        return {**a, "gflops": {t: max(a["gflops"][t], b["gflops"][t]) for t in a["gflops"]}}
    return merge(peak, again), merge(avx2, avx2_again)


def _absent(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is None
