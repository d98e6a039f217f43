"""The report of bench-compare: latency summaries, table rows, machine facts, markdown."""

from __future__ import annotations

import os
import platform
from importlib import metadata

import numpy as np


def summarise(times: list[float]) -> dict:
    t = np.asarray(times, dtype=np.float64)
    return {"min": float(t.min()), "median": float(np.median(t)),
            "p99": float(np.percentile(t, 99)), "runs": int(t.size)}


def latency(acc: dict) -> dict:
    """min/median/p99 of an engine's runs. Where an engine reports only per-round summaries
    (`edge-inspect bench`), they are combined: min of the minima, median of the medians, max of
    the p99s (exact for one round; for several, a fair stand-in that never flatters)."""
    if acc["times_ms"]:
        return summarise(acc["times_ms"])
    rounds = acc["summaries"]
    return {"min": min(r["min"] for r in rounds), "median": float(np.median([r["median"] for r in rounds])),
            "p99": max(r["p99"] for r in rounds), "runs": sum(r["runs"] for r in rounds)}


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for pkg in ("torch", "onnx", "onnxruntime", "ncnn", "pnnx", "numpy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "machine": platform.machine(),
            "python": platform.python_version(), "versions": versions,
            "loadavg_start": list(os.getloadavg())}


def markdown(report: dict) -> str:
    peak = report["peak"]["gflops"]
    per_threads = lambda g: ", ".join(  # noqa: E731
        f"{g[str(t)]:.0f} GFLOP/s at {t} thread{'s' if t > 1 else ''}" for t in report["threads"])
    lines = [
        f"Model `{report['model']}`, {report['gmac'][str(report['sizes'][0])]:.3f} GMAC at "
        f"{report['sizes'][0]}x{report['sizes'][0]}. Peak fp32 FMA measured: {per_threads(peak)} "
        f"({report['peak']['lanes']}-lane vectors, {report['peak']['cflags']}).",
    ]
    if report.get("peak_avx2"):
        lines.append(f"AVX2 peak (-march=haswell, the Swift package's target on x86 CPUs without AVX-512): "
                     f"{per_threads(report['peak_avx2']['gflops'])}.")
    lines += [
        f"Load average at start {report['machine']['loadavg_start'][0]:.2f}, "
        f"at end {report['machine']['loadavg_end'][0]:.2f} ({report['machine']['cores']} cores). "
        f"{report['runs']} timed runs per row in {report['rounds']} round(s), "
        f"{report['warmup_per_round']} warm-up runs per round.",
        "",
        "| size | threads | engine | median ms | min ms | p99 ms | GFLOP/s | % of peak | vs ORT fp32 | load ms | max diff px |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        if row.get("skipped"):
            lines.append(f"| {row['size']} | {row['threads']} | {row['label']} | — | — | — | — | — | — | — | "
                         f"not timed: {row['skipped']} |")
            continue
        lat = row["latency_ms"]
        ratio = f"{row['ratio_to_ort_fp32']:.2f}x" if row.get("ratio_to_ort_fp32") else "—"
        chk = row["check"]
        diff = (f"{chk['max_abs_px']:.1e}" if "max_abs_px" in chk
                else f"score {chk.get('score_rel_diff', 0):.0e} rel")
        label = row["label"] + (" [score]" if row.get("mode") == "score" else "")
        load = f"{row['load_ms']:.1f}" if row.get("load_ms") is not None else "—"
        lines.append(f"| {row['size']} | {row['threads']} | {label} | {lat['median']:.2f} | {lat['min']:.2f} | "
                     f"{lat['p99']:.2f} | {row['gflops']:.1f} | {100 * row['peak_fraction']:.1f}% | {ratio} | {load} | {diff} |")
    lines += ["", "Ratio = engine median / ONNX Runtime fp32 median at the same size and threads "
              "(below 1 is faster). GFLOP/s = 2 x direct-convolution MACs / median; % of peak: of the "
              "measured peak at the same thread count. load ms: model file to ready session (median). "
              "max diff px: largest |output - PyTorch| in pixel units on the timed image "
              "(Swift: relative difference of the image score from the reference scorer)."]
    if any(r.get("mode") == "bench" for r in report["rows"]):
        lines.append("edge-inspect rows: `edge-inspect bench --image` (its inference_ms: the network alone; "
                     "per-round medians combined as their median, p99 as the largest).")
    if any(r.get("mode") == "score" for r in report["rows"]):
        lines.append("[score]: timed through `edge-inspect score` (per-image time includes normalising "
                     "and the Gaussian-smoothed error map, a few % more work than the network alone).")
    return "\n".join(lines)


def build_rows(engines, results: dict, sizes, threads, macs_of, peak_gflops: dict,
               baseline: str) -> list[dict]:
    """One row per (size, threads, engine): latency summary, GFLOP/s (2 x direct-convolution MACs
    / median), fraction of the peak at that thread count, ratio to the baseline engine's median."""
    rows = []
    for size in sizes:
        macs = macs_of(size)
        for t in threads:
            group = []
            for e in engines:
                row = {"engine": e.key, "label": e.label, "precision": e.precision, "size": size,
                       "threads": t, "check": e.check[size], "note": e.note}
                acc = results.get((e.key, size, t))
                if acc is None:
                    c = e.check[size]
                    detail = c.get("error") or ", ".join(f"{k} {v:.3g}" for k, v in c.items()
                                                         if isinstance(v, float))
                    row["skipped"] = f"output check failed ({detail})" if not c["ok"] else "not run"
                else:
                    lat = latency(acc)
                    gflops = 2 * macs / (lat["median"] * 1e-3) / 1e9
                    row.update({"mode": acc["mode"], "latency_ms": lat,
                                "load_ms": float(np.median(acc["load_ms"])) if acc["load_ms"] else None,
                                "peak_rss_kb": max(acc["peak_rss_kb"]) if acc["peak_rss_kb"] else None,
                                "gflops": gflops, "peak_fraction": gflops / peak_gflops[t],
                                **acc.get("extra", {})})
                group.append(row)
            base = next((r["latency_ms"]["median"] for r in group
                         if r["engine"] == baseline and "latency_ms" in r), None)
            for row in group:
                if base and "latency_ms" in row:
                    row["ratio_to_ort_fp32"] = row["latency_ms"]["median"] / base
            rows += group
    return rows
