"""The Swift runtime (`edge-inspect`) as one engine of the comparison.

Two ways to time it, chosen by what the binary offers:
- `edge-inspect bench` (issue 4), when the binary has it: its `inference_ms` is the network
  alone (normalised input to reconstruction), timed inside the process, which is what the other
  engines' runs time; its JSON also gives load time, frame time, peak RSS and per-layer kernels.
- otherwise `edge-inspect score --json --no-heatmap` on the same PNG repeated warm-up + N times:
  each JSON line's `ms` is one inspection timed inside the process (normalise + pad + network +
  error map + Gaussian + score; PNG decoding and process start are outside it). That is a little
  more work than the other engines do, so the row is marked 'score' and is a slight overestimate.

The output check always goes through `score`: the image score of the Swift runtime must match the
Python reference scorer (score.py) on the same PNG, which only holds if the graph ran correctly.
"""

from __future__ import annotations

import json
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


def _bench_command(exe: Path, help_text: str, model: Path, image: Path, size: int, threads: int,
                   warmup: int, runs: int) -> list[str]:
    """`edge-inspect bench` on the same PNG the other engines read (--image), or an input of the
    same size (--size HxW) from a binary without --image."""
    cmd = [str(exe), "bench", "--model", str(model), "--threads", str(threads), "--json",
           "--warmup", str(warmup), "--iterations", str(runs)]
    return cmd + (["--image", str(image)] if "--image" in help_text else ["--size", f"{size}x{size}"])


def time_swift(exe: Path, model: Path, image: Path, size: int, threads: int,
               warmup: int, runs: int) -> dict:
    """{'mode', 'load_ms', 'times_ms' or 'summary_ms', 'peak_rss_kb', ...} for one configuration.
    `bench` reports min/median/p99 of its runs, not each run: 'summary_ms' then."""
    if has_bench(exe):
        help_text = subprocess.run([str(exe), "bench", "--help"], capture_output=True,
                                   text=True).stdout
        cmd = _bench_command(exe, help_text, model, image, size, threads, warmup, runs)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
        report = json.loads(r.stdout.strip().splitlines()[-1])
        if (report.get("width"), report.get("height")) != (size, size):
            raise RuntimeError(f"edge-inspect bench ran {report.get('width')}x{report.get('height')}, "
                               f"not {size}x{size}")
        lat = report["inference_ms"]  # the network alone, like the other engines' runs
        # Its peak_rss_bytes is not used: read through getrusage it includes the high-water mark
        # Linux carries over from the parent (this Python process, ~1 GB with torch).
        return {"mode": "bench", "command": " ".join(cmd), "load_ms": report.get("load_ms"),
                "peak_rss_kb": None, "reported_peak_rss_bytes": report.get("peak_rss_bytes"),
                "summary_ms": {"min": float(lat["min"]), "median": float(lat["median"]),
                               "p99": float(lat["p99"]), "runs": runs},
                "frame_ms": report.get("frame_ms"), "first_frame_ms": report.get("first_frame_ms"),
                "layers": report.get("layers")}
    lines = _score_lines(exe, model, image, threads, warmup + runs)
    return {"mode": "score", "load_ms": None, "peak_rss_kb": None,
            "times_ms": [float(line["ms"]) for line in lines[warmup:]]}
