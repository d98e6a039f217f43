"""The Swift runtime (`edge-inspect`) as one engine of the comparison.

Two ways to time it, chosen by what the binary offers:
- `edge-inspect bench` (issue 4), when the binary has it: the network alone, timed inside the
  process; its JSON gives load time, latencies and peak RSS.
- otherwise `edge-inspect score --json --no-heatmap` on the same PNG repeated warm-up + N times:
  each JSON line's `ms` is one inspection timed inside the process (normalise + pad + network +
  error map + Gaussian + score; PNG decoding and process start are outside it). That is a little
  more work than the other engines do, so the row is marked 'score' and is a slight overestimate.

The output check always goes through `score`: the image score of the Swift runtime must match the
Python reference scorer (score.py) on the same PNG, which only holds if the graph ran correctly.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path


def has_bench(exe: Path) -> bool:
    r = subprocess.run([str(exe), "bench", "--help"], capture_output=True, text=True)
    return r.returncode == 0 and "bench" in (r.stdout + r.stderr)


def score_once(exe: Path, model: Path, image: Path, threads: int) -> float:
    """The Swift runtime's image score (normalised like score.py's ScoreResult.score)."""
    line = _score_lines(exe, model, image, threads, 1)[0]
    return float(line["score"])


def _score_lines(exe: Path, model: Path, image: Path, threads: int, count: int) -> list[dict]:
    cmd = [str(exe), "score", "--model", str(model), "--json", "--no-heatmap",
           "--threads", str(threads)] + [str(image)] * count
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):  # 1 = an anomaly was found, still a valid run
        raise RuntimeError(f"{' '.join(cmd[:8])} ... failed ({r.returncode}): {r.stderr.strip()}")
    lines = [json.loads(s) for s in r.stdout.splitlines() if s.startswith("{")]
    if len(lines) != count:
        raise RuntimeError(f"edge-inspect score printed {len(lines)} JSON lines, expected {count}")
    return lines


def _bench_args(help_text: str, model: Path, image: Path, size: int, threads: int,
                warmup: int, runs: int) -> list[str]:
    """Command-line arguments of `edge-inspect bench`, from the options its --help lists."""
    args = ["bench", "--model", str(model), "--threads", str(threads), "--json"]
    if "--size" in help_text:
        args += ["--size", f"{size}x{size}" if re.search(r"--size\s+W", help_text) else str(size)]
    elif "--width" in help_text:
        args += ["--width", str(size), "--height", str(size)]
    else:
        args += [str(image)]
    if "--warmup" in help_text:
        args += ["--warmup", str(warmup)]
    for flag in ("--runs", "--iterations", "--repeat"):
        if flag in help_text:
            args += [flag, str(runs)]
            break
    return args


def _pick(d: dict, *keys):
    for k in keys:
        if k in d:
            return d[k]
    return None


def time_swift(exe: Path, model: Path, image: Path, size: int, threads: int,
               warmup: int, runs: int) -> dict:
    """{'mode', 'load_ms', 'times_ms' (or 'summary_ms'), 'peak_rss_kb'} for one configuration."""
    if has_bench(exe):
        help_text = subprocess.run([str(exe), "bench", "--help"], capture_output=True,
                                   text=True).stdout
        cmd = [str(exe)] + _bench_args(help_text, model, image, size, threads, warmup, runs)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
        report = json.loads(r.stdout.strip().splitlines()[-1])
        out = {"mode": "bench", "command": " ".join(cmd), "raw": report,
               "load_ms": _pick(report, "load_ms", "loadMs", "load"),
               "peak_rss_kb": _pick(report, "peak_rss_kb", "peakRSSKB")}
        if _pick(report, "peak_rss_bytes", "peak_rss") is not None and out["peak_rss_kb"] is None:
            out["peak_rss_kb"] = _pick(report, "peak_rss_bytes", "peak_rss") / 1024
        times = _pick(report, "times_ms", "samples_ms", "latencies_ms")
        if times:
            out["times_ms"] = [float(t) for t in times]
        else:
            lat = _pick(report, "latency_ms", "latency") or report
            out["summary_ms"] = {"min": float(_pick(lat, "min", "min_ms")),
                                 "median": float(_pick(lat, "median", "median_ms")),
                                 "p99": float(_pick(lat, "p99", "p99_ms"))}
        return out
    lines = _score_lines(exe, model, image, threads, warmup + runs)
    return {"mode": "score", "load_ms": None, "peak_rss_kb": None,
            "times_ms": [float(line["ms"]) for line in lines[warmup:]]}
