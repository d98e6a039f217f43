"""Times one engine in a process of its own: python -m edgeinspect.bench_worker ENGINE ...

Why a process per engine and configuration: ONNX Runtime's thread pool and ncnn's OpenMP threads
keep spinning for a while after a run, and both libraries keep global state (OpenMP's thread
count, allocators). In one process an engine timed after another would share the cores with the
first one's spinning threads; a fresh process gives each the machine as a user's program would
have it. The Swift runtime is its own process anyway. This module imports neither torch nor the
rest of the package, so a worker starts in well under a second.

Prints one JSON object: load_ms (model file to ready session), times_ms (one per timed run),
peak_rss_kb (VmHWM of the whole worker process, Python included: for reference only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def ort_session(model: str, threads: int):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name

    def run(x: np.ndarray) -> np.ndarray:
        return sess.run(None, {name: x})[0]
    return run


def ncnn_net(param: str, binary: str, threads: int, int8: bool):
    import ncnn
    net = ncnn.Net()
    opt = net.opt
    opt.num_threads = threads
    opt.use_vulkan_compute = False
    # fp32 means fp32: ncnn would otherwise store activations as fp16/bf16 where the CPU has
    # conversion instructions, which is a different (lossy) computation.
    opt.use_fp16_storage = opt.use_fp16_packed = opt.use_fp16_arithmetic = False
    opt.use_bf16_storage = False
    opt.use_int8_inference = int8
    if net.load_param(param) != 0 or net.load_model(binary) != 0:
        raise RuntimeError(f"ncnn could not load {param} / {binary}")
    in_name, out_name = net.input_names()[0], net.output_names()[0]

    def run(x: np.ndarray) -> np.ndarray:
        ex = net.create_extractor()
        ex.input(in_name, ncnn.Mat(np.ascontiguousarray(x[0])))
        ret, out = ex.extract(out_name)
        if ret != 0:
            raise RuntimeError(f"ncnn extract failed ({ret})")
        return np.array(out)[None]
    return run


def peak_rss_kb() -> int | None:
    """This process's own high-water RSS. Not getrusage's ru_maxrss: Linux carries the parent's
    high-water mark into a child across fork and exec, so a worker started by the benchmark (with
    torch loaded, about 1 GB) would report the parent's figure."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m edgeinspect.bench_worker")
    p.add_argument("engine", choices=["ort", "ncnn", "ncnn-int8"])
    p.add_argument("model", nargs="+", help=".onnx, or ncnn .param and .bin")
    p.add_argument("--input", required=True, help=".npy [1,C,H,W] float32")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--output", help="write the (last) output here as .npy")
    args = p.parse_args(argv)

    x = np.load(args.input).astype(np.float32)
    start = time.perf_counter_ns()
    if args.engine == "ort":
        run = ort_session(args.model[0], args.threads)
    else:
        run = ncnn_net(args.model[0], args.model[1], args.threads, args.engine == "ncnn-int8")
    load_ms = (time.perf_counter_ns() - start) / 1e6

    y = None
    for _ in range(max(args.warmup, 1)):  # at least one run: the output check needs it
        y = run(x)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter_ns()
        y = run(x)
        times.append((time.perf_counter_ns() - t0) / 1e6)
    if args.output:
        np.save(args.output, y)
    json.dump({"load_ms": load_ms, "times_ms": times,
               "peak_rss_kb": peak_rss_kb()}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
