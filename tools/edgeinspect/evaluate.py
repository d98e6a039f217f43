"""`python -m edgeinspect evaluate`: detection quality on an MVTec-AD-layout test set, measured on the
PyTorch reference and on the Swift runtime (`edge-inspect`), and how well the two agree.

Layout: test/<kind>/*.{png,jpg,jpeg} (kind `good` = defect-free), ground_truth/<kind>/<name>_mask.png
(non-zero = defect) for every image of a defect kind. Metrics are those of metrics.py; outputs
(metrics.json, metrics.md, roc.png, examples.png) go to --out.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from . import metrics as M
from .modelfile import read
from .score import Scorer, load_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
GOOD = "good"
# Pixel AUROC sorts every pixel; above this many, a seeded uniform subset of each image is used.
DEFAULT_MAX_PIXELS = 20_000_000


@dataclass
class Sample:
    kind: str
    path: Path
    mask_path: Path | None  # None for good images

    @property
    def anomalous(self) -> bool:
        return self.kind != GOOD


def discover(data: Path, limit: int | None = None) -> list[Sample]:
    """Test images in kind then name order. With `limit`, at most that many per kind, evenly
    spaced over the sorted names (deterministic, and it spans names that encode e.g. lighting)."""
    test = data / "test"
    if not test.is_dir():
        raise SystemExit(f"{data}: no test/ folder (expected the MVTec AD layout)")
    kinds = sorted(p.name for p in test.iterdir() if p.is_dir())
    if GOOD not in kinds or len(kinds) < 2:
        raise SystemExit(f"{test}: needs test/good and at least one defect kind (found {kinds})")
    samples = []
    for kind in kinds:
        files = sorted(p for p in (test / kind).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if limit is not None and len(files) > limit:
            picks = np.unique(np.round(np.linspace(0, len(files) - 1, limit)).astype(int))
            files = [files[i] for i in picks]
        for f in files:
            mask = None
            if kind != GOOD:
                mask = data / "ground_truth" / kind / f"{f.stem}_mask.png"
                if not mask.is_file():
                    raise SystemExit(f"{f}: no ground-truth mask {mask}")
            samples.append(Sample(kind, f, mask))
    return samples


def load_mask(sample: Sample) -> np.ndarray:
    """Bool [H, W] at the image's own size (all False for a good image)."""
    if sample.mask_path is None:
        with Image.open(sample.path) as im:
            w, h = im.size
        return np.zeros((h, w), dtype=bool)
    with Image.open(sample.mask_path) as im:
        return np.asarray(im.convert("L")) != 0


def to_mask_size(anomaly_map: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Maps are at the model's input size; models with input.resize need them back at the mask's
    size: bilinear, half-pixel centres (PyTorch align_corners=False)."""
    if anomaly_map.shape == tuple(shape):
        return anomaly_map.astype(np.float32)
    t = torch.from_numpy(anomaly_map.astype(np.float32))[None, None]
    out = torch.nn.functional.interpolate(t, size=tuple(shape), mode="bilinear", align_corners=False)
    return out[0, 0].numpy()


@dataclass
class EngineRun:
    name: str
    scores: np.ndarray       # per sample
    maps: list[np.ndarray]   # per sample, float32 at mask size


def run_pytorch(model: Path, samples: list[Sample], masks: list[np.ndarray]) -> EngineRun:
    scorer = Scorer(read(str(model)))
    scores, maps = [], []
    for s, g in zip(tqdm(samples, desc="pytorch", unit="img"), masks):
        res = scorer.score_file(str(s.path))
        scores.append(res.score)
        maps.append(to_mask_size(res.map, g.shape))
    return EngineRun("pytorch", np.array(scores), maps)


def run_swift(exe: Path, model: Path, samples: list[Sample], masks: list[np.ndarray]) -> EngineRun:
    """One `edge-inspect score` process for all images. Raw maps are named after the image's
    stem, and MVTec names repeat across kinds (000.png), so the images go in through uniquely
    named symlinks."""
    with tempfile.TemporaryDirectory(prefix="edgeinspect-eval-") as tmp:
        links, maps_dir = Path(tmp) / "in", Path(tmp) / "maps"
        links.mkdir()
        maps_dir.mkdir()
        by_link = {}
        for i, s in enumerate(samples):
            link = links / f"{i:05d}-{s.kind}-{s.path.name}"
            link.symlink_to(s.path.resolve())
            by_link[str(link)] = i
        cmd = [str(exe), "score", "--model", str(model), "--json", "--raw-map", "--no-heatmap",
               "--out-dir", str(maps_dir), *by_link]
        scores = np.full(len(samples), np.nan)
        maps: list[np.ndarray | None] = [None] * len(samples)
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
            for line in tqdm(proc.stdout, total=len(samples), desc="swift", unit="img"):
                rec = json.loads(line)
                i = by_link[rec["image"]]
                with Image.open(rec["map"]) as im:
                    raw = np.asarray(im, dtype=np.float64)  # mode I;16
                scores[i] = rec["score"]
                maps[i] = to_mask_size(raw * rec["map_scale"], masks[i].shape)
            stderr = proc.stderr.read()
        # Exit code 1 only says that some image was anomalous.
        if proc.returncode not in (0, 1) or any(m is None for m in maps):
            raise SystemExit(f"{exe} failed (exit {proc.returncode}): {stderr.strip()}")
    return EngineRun("swift", scores, maps)


def _pixel_subset(maps, masks, indices, max_pixels):
    """(values, labels) of the pixels the pixel AUROC uses for these samples."""
    total = sum(masks[i].size for i in indices)
    keep = min(1.0, max_pixels / total)
    values, labels = [], []
    for i in indices:
        pick = M.pixel_sample(masks[i].size, keep, seed=i)
        values.append(maps[i].ravel()[pick])
        labels.append(masks[i].ravel()[pick])
    return np.concatenate(values), np.concatenate(labels), keep


def compute_metrics(run: EngineRun, samples: list[Sample], masks: list[np.ndarray],
                    max_pixels: int = DEFAULT_MAX_PIXELS) -> dict:
    labels = np.array([s.anomalous for s in samples])
    everything = list(range(len(samples)))
    values, pixel_labels, keep = _pixel_subset(run.maps, masks, everything, max_pixels)
    f1 = M.best_f1(run.scores, labels)
    fpr, tpr = M.roc_curve(run.scores, labels)
    out = {
        "image_auroc": M.auroc(run.scores, labels),
        "pixel_auroc": M.auroc(values, pixel_labels),
        "pro": M.pro_auc(run.maps, masks),
        "f1": f1.f1, "f1_threshold": f1.threshold,
        "precision": f1.precision, "recall": f1.recall,
        "pixel_fraction_used": keep,
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "per_kind": {},
    }
    good = [i for i, s in enumerate(samples) if not s.anomalous]
    for kind in sorted({s.kind for s in samples if s.anomalous}):
        # Each defect kind against the good images, as MVTec AD reports per category.
        idx = good + [i for i, s in enumerate(samples) if s.kind == kind]
        v, pl, _ = _pixel_subset(run.maps, masks, idx, max_pixels)
        out["per_kind"][kind] = {
            "images": len(idx) - len(good),
            "image_auroc": M.auroc(run.scores[idx], labels[idx]),
            "pixel_auroc": M.auroc(v, pl),
            "pro": M.pro_auc([run.maps[i] for i in idx], [masks[i] for i in idx]),
        }
    return out


COMPARED = ("image_auroc", "pixel_auroc", "pro", "f1", "f1_threshold", "precision", "recall")
KIND_COMPARED = ("image_auroc", "pixel_auroc", "pro")


def agreement(a: EngineRun, b: EngineRun, ma: dict, mb: dict) -> dict:
    """Score differences, and whether every metric agrees to 3 decimals (|difference| <= 0.0005)."""
    diffs = {k: abs(ma[k] - mb[k]) for k in COMPARED}
    for kind in ma["per_kind"]:
        for k in KIND_COMPARED:
            diffs[f"{kind}.{k}"] = abs(ma["per_kind"][kind][k] - mb["per_kind"][kind][k])
    score_diff = np.abs(a.scores - b.scores)
    rel = score_diff / np.maximum(np.abs(a.scores), 1e-30)
    map_diff = max(float(np.abs(x - y).max()) for x, y in zip(a.maps, b.maps))
    return {
        "max_abs_score_diff": float(score_diff.max()),
        "max_rel_score_diff": float(rel.max()),
        "max_abs_map_diff": map_diff,
        "max_metric_diff": max(diffs.values()),
        "metrics_agree_to_3_decimals": all(d <= 5e-4 for d in diffs.values()),
        "metric_diffs": diffs,
    }


def write_markdown(path: Path, report: dict) -> None:
    engines = report["engines"]
    lines = [f"# Evaluation: {report['model']} on {report['data']}", "",
             f"{report['images']['total']} test images ({report['images']['good']} good, "
             f"{report['images']['defective']} defective)"
             + (f", at most {report['limit']} per kind" if report["limit"] else "") + ".", "",
             "| engine | image AUROC | pixel AUROC | PRO (FPR ≤ 0.3) | F1 threshold (F1, P, R) |",
             "|---|---|---|---|---|"]
    for name, m in engines.items():
        lines.append(f"| {name} | {m['image_auroc']:.3f} | {m['pixel_auroc']:.3f} | {m['pro']:.3f} | "
                     f"{m['f1_threshold']:.6g} ({m['f1']:.3f}, {m['precision']:.3f}, {m['recall']:.3f}) |")
    lines += ["", "Per defect kind (each kind against all good images):", "",
              "| kind | images | " + " | ".join(f"{n} image AUROC | {n} pixel AUROC | {n} PRO"
                                               for n in engines) + " |",
              "|---|---|" + "---|" * (3 * len(engines))]
    first = next(iter(engines.values()))
    for kind, k in first["per_kind"].items():
        cells = [f"{engines[n]['per_kind'][kind][m]:.3f}" for n in engines
                 for m in ("image_auroc", "pixel_auroc", "pro")]
        lines.append(f"| {kind} | {k['images']} | " + " | ".join(cells) + " |")
    lines.append("")
    agree = report.get("agreement")
    if agree:
        lines.append(f"Agreement: max |score diff| {agree['max_abs_score_diff']:.3g} "
                     f"(relative {agree['max_rel_score_diff']:.3g}), max |map diff| "
                     f"{agree['max_abs_map_diff']:.3g}, largest metric difference "
                     f"{agree['max_metric_diff']:.3g}; every metric agrees to 3 decimals: "
                     f"{'yes' if agree['metrics_agree_to_3_decimals'] else 'NO'}.")
    for note in report["notes"]:
        lines.append(f"\n{note}")
    path.write_text("\n".join(lines) + "\n")


def plot_roc(path: Path, report: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 5))
    styles = {"pytorch": dict(lw=2.5, color="tab:blue"), "swift": dict(lw=1.2, ls="--", color="tab:orange")}
    for name, m in report["engines"].items():
        ax.plot(m["roc"]["fpr"], m["roc"]["tpr"], label=f"{name} (AUROC {m['image_auroc']:.3f})",
                drawstyle="default", **styles.get(name, {}))
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01),
           title=f"image-level ROC: {Path(report['model']).name}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_examples(path: Path, samples: list[Sample], masks: list[np.ndarray], run: EngineRun,
                  per_kind: int = 3) -> None:
    """Rows = defect kinds; per example: the image with the ground-truth outline, then the
    PyTorch anomaly map (one colour scale for the whole figure) with the same outline."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    kinds = sorted({s.kind for s in samples if s.anomalous})
    chosen = {k: [i for i, s in enumerate(samples) if s.kind == k][:per_kind] for k in kinds}
    shown = [i for idx in chosen.values() for i in idx]
    # One scale for the figure, set by the bulk of the shown pixels so one hot map cannot dim the rest.
    vmax = float(np.quantile(np.concatenate([run.maps[i].ravel() for i in shown]), 0.995)) or 1.0
    cols = 2 * per_kind
    fig, axes = plt.subplots(len(kinds), cols, figsize=(2.2 * cols, 2.3 * len(kinds)), squeeze=False)
    for r, kind in enumerate(kinds):
        for c in range(per_kind):
            a_img, a_map = axes[r][2 * c], axes[r][2 * c + 1]
            for a in (a_img, a_map):
                a.set_axis_off()
            if c >= len(chosen[kind]):
                continue
            i = chosen[kind][c]
            image = load_image(str(samples[i].path), 1)[0]
            a_img.imshow(image, cmap="gray", vmin=0, vmax=1)
            a_map.imshow(run.maps[i], cmap="turbo", vmin=0, vmax=vmax)
            h, w = masks[i].shape
            # Padded by one pixel so that regions touching the border are outlined there too.
            padded = np.pad(masks[i].astype(float), 1)
            for a in (a_img, a_map):
                a.contour(np.arange(-1, w + 1), np.arange(-1, h + 1), padded, levels=[0.5],
                          colors="white", linewidths=0.8)
                a.set_xlim(-0.5, w - 0.5)
                a.set_ylim(h - 0.5, -0.5)
            a_img.set_title(f"{kind}/{samples[i].path.name}", fontsize=7)
            a_map.set_title(f"score {run.scores[i]:.4g}", fontsize=7)
    fig.suptitle(f"PyTorch anomaly maps (colour 0 to {vmax:.3g}), ground truth outlined", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _json_ready(report: dict) -> dict:
    def fix(x):
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: fix(v) for k, v in x.items()}
        if isinstance(x, list):
            return [fix(v) for v in x]
        return x
    return fix(report)


def evaluate(data: Path, model: Path, out: Path, swift_bin: Path | None = None,
             limit: int | None = None, max_pixels: int = DEFAULT_MAX_PIXELS) -> dict:
    samples = discover(data, limit)
    masks = [load_mask(s) for s in samples]
    notes = []
    runs = [run_pytorch(model, samples, masks)]
    if swift_bin is not None:
        if not swift_bin.is_file():
            raise SystemExit(f"--swift-bin {swift_bin}: no such file")
        runs.append(run_swift(swift_bin, model, samples, masks))
    else:
        notes.append("Swift runtime not evaluated: give --swift-bin or set EDGE_INSPECT_BIN.")
    engines = {r.name: compute_metrics(r, samples, masks, max_pixels) for r in runs}
    keep = min(m["pixel_fraction_used"] for m in engines.values())
    if keep < 1.0:
        notes.append(f"Pixel AUROC used a seeded uniform random {keep:.1%} of every image's pixels "
                     f"(at most {max_pixels} pixels); PRO used every pixel.")
    n_good = sum(not s.anomalous for s in samples)
    report = {
        "data": str(data), "model": str(model), "limit": limit,
        "images": {"total": len(samples), "good": n_good, "defective": len(samples) - n_good,
                   "per_kind": {k: sum(s.kind == k for s in samples) for k in sorted({s.kind for s in samples})}},
        "definitions": {
            "image_auroc": "Mann-Whitney: the fraction of (defective, good) pairs ranked right, ties count "
                           "half; image score as the engine reports it",
            "pixel_auroc": "every test pixel (good images included), maps resized to the mask size bilinearly",
            "pro": "area under per-region-overlap vs FPR for FPR in [0, 0.3], divided by 0.3; regions are "
                   "8-connected ground-truth components; 1000 thresholds at FPR-spaced quantiles, trapezoids",
            "f1_threshold": "anomalous when score > threshold; highest F1 over all thresholds",
            "per_kind": "each defect kind's images against all good images",
        },
        "engines": engines,
        "notes": notes,
    }
    if len(runs) == 2:
        report["agreement"] = agreement(runs[0], runs[1], engines["pytorch"], engines["swift"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(_json_ready(report), indent=1) + "\n")
    write_markdown(out / "metrics.md", report)
    plot_roc(out / "roc.png", report)
    plot_examples(out / "examples.png", samples, masks, runs[0])
    return report


def add_arguments(p) -> None:
    p.add_argument("--data", required=True, type=Path, help="MVTec-AD-layout folder (test/, ground_truth/)")
    p.add_argument("--model", required=True, type=Path, help=".eim model file")
    p.add_argument("--swift-bin", type=Path, default=None,
                   help="edge-inspect executable (default: $EDGE_INSPECT_BIN; without either, PyTorch only)")
    p.add_argument("--out", type=Path, default=Path("runs/eval"), help="output folder (default runs/eval)")
    p.add_argument("--limit", type=int, default=None,
                   help="at most N images per test kind, evenly spaced over the sorted names")
    p.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                   help="pixel AUROC subsamples each image uniformly (seeded) above this many pixels")


def main(args) -> None:
    swift = args.swift_bin or (Path(os.environ["EDGE_INSPECT_BIN"]) if os.environ.get("EDGE_INSPECT_BIN") else None)
    report = evaluate(args.data, args.model, args.out, swift, args.limit, args.max_pixels)
    print((args.out / "metrics.md").read_text(), end="")
    print(f"wrote {args.out}/metrics.json, metrics.md, roc.png, examples.png")
    if "agreement" not in report:
        print("Swift runtime not evaluated (no --swift-bin, EDGE_INSPECT_BIN unset): PyTorch only.")
