"""Checkpoint -> model file (f32, f16 or i8 weights), calibration of the threshold, golden files."""

from __future__ import annotations

import math
import os

import numpy as np
import torch

from . import __version__, border, map_sigma, synth
from .golden import write_golden
from .model import AutoEncoder, ModelConfig
from .modelfile import Meta, ModelFile, make_tensor, read, write
from .quantize import DEFAULT_IMAGES, DEFAULT_PERCENTILE, add_activation_scales, training_images
from .score import ERROR_NORMS, Scorer, interior, load_image

# Threshold rule: the `quantile` of the held-out good scores times `margin`. A margin above 1
# keeps good parts that are slightly worse than every calibration image from being rejected.
DEFAULT_QUANTILE = 0.99
DEFAULT_MARGIN = 1.1
GOLDEN_SIZES = {"": (53, 75), ".large": (96, 128)}  # file suffix -> (height, width)


def producer() -> str:
    return f"edgeinspect {__version__} (torch {torch.__version__}, numpy {np.__version__})"


def load_checkpoint(path: str) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def model_from_checkpoint(ckpt: dict) -> AutoEncoder:
    model = AutoEncoder(ModelConfig.from_dict(ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    return model.eval()


def build_modelfile(ckpt: dict, dtype: str = "f32", name: str | None = None,
                    threshold: float | None = None) -> ModelFile:
    """The model file of a checkpoint. Conv weights are stored as `dtype`, biases as f32."""
    model = model_from_checkpoint(ckpt)
    nodes, output = model.graph()
    sd = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    tensors = []
    for node in nodes:
        if node.weight is not None:
            tensors.append(make_tensor(node.weight, sd[node.weight], dtype))
        if node.bias is not None:
            tensors.append(make_tensor(node.bias, sd[node.bias], "f32"))

    data, score = ckpt["data"], ckpt["score"]
    cfg = model.config
    md = {
        "model.name": Meta.string(name or ckpt.get("name", "edgeinspect-ae")),
        "model.producer": Meta.string(producer()),
        "train.dataset": Meta.string(data["description"]),
        "train.command": Meta.string(ckpt["command"]),
        "train.licence": Meta.string(data["licence"]),
        "train.steps": Meta.u32(ckpt["step"]),
        "train.seed": Meta.u32(ckpt["args"]["seed"]),
        "model.weights_dtype": Meta.string(dtype),
        "input.channels": Meta.u32(cfg.channels),
        "input.mean": Meta.f32s(ckpt["mean"]),
        "input.std": Meta.f32s(ckpt["std"]),
        "input.size_multiple": Meta.u32(cfg.size_multiple),
        "input.pad_mode": Meta.string("replicate"),
        "input.resize": Meta.u32s(data["resize"]),
        "score.sigma": Meta.f32(score["sigma"]),
        "score.reduce": Meta.string(score["reduce"]),
        "score.scale": Meta.f32(score["scale"]),
        "score.threshold": Meta.f32(threshold if threshold is not None else score.get("threshold", 1.0)),
    }
    if "border" in score:
        md["score.border"] = Meta.u32(score["border"])
    if "map_sigma" in score:
        md["score.map_sigma"] = Meta.f32(score["map_sigma"])
    if score.get("error_norm", "none") != "none":
        md["score.error_norm"] = Meta.string(score["error_norm"])
    if "map_threshold" in score and score.get("map_sigma", score["sigma"]) != score["sigma"]:
        md["score.map_threshold"] = Meta.f32(score["map_threshold"])
    calib = score.get("calib")
    if calib:
        md.update(calibration_metadata(calib["images"], calib["quantile"], calib["margin"]))
    return ModelFile(md, nodes, output, tensors)


def calibration_metadata(images: int, quantile: float, margin: float) -> dict[str, Meta]:
    return {
        "calib.method": Meta.string(
            f"threshold = {margin:g} x quantile {quantile:g} (numpy linear) of the scores of "
            f"{images} held-out defect-free images, scored with this file's weights"),
        "calib.images": Meta.u32(images),
        "calib.quantile": Meta.f32(quantile),
        "calib.margin": Meta.f32(margin),
    }


def calibration_images(ckpt: dict) -> list[np.ndarray]:
    """The held-out good images the checkpoint names, as [1, H, W] pixel arrays."""
    data = ckpt["data"]
    if data["kind"] == "synthetic":
        return [synth.good_image("calib", i)[None] for i in range(data["calib_count"])]
    missing = [p for p in data["calib_files"] if not os.path.exists(p)]
    if missing:
        raise SystemExit(f"calibration images are missing (e.g. {missing[0]})")
    return [load_image(p, 1) for p in data["calib_files"]]


def calibrate(mf: ModelFile, images: list[np.ndarray], quantile: float = DEFAULT_QUANTILE,
              margin: float = DEFAULT_MARGIN) -> tuple[float, list[float]]:
    """(threshold, scores): sets score.threshold and the calib.* keys of `mf` in place, and
    score.map_threshold (the same rule on the maps' peaks) when the map has its own sigma."""
    scorer = Scorer(mf)
    results = [scorer.score_pixels(im) for im in images]
    scores = [r.score for r in results]
    threshold = float(np.quantile(np.array(scores), quantile)) * margin
    mf.metadata["score.threshold"] = Meta.f32(threshold)
    if scorer.map_sigma != scorer.sigma:
        peaks = [float(interior(r.map, scorer.border).max()) for r in results]
        mf.metadata["score.map_threshold"] = Meta.f32(float(np.quantile(np.array(peaks), quantile)) * margin)
    mf.metadata.update(calibration_metadata(len(images), quantile, margin))
    return threshold, scores


def expected_false_rejects(scores: list[float], quantile: float = DEFAULT_QUANTILE,
                           margin: float = DEFAULT_MARGIN, folds: int = 5, z: float = 1.645) -> tuple[float, float]:
    """(rate, 95 % upper bound) of false rejects to expect on new good parts, as `edge-inspect
    calibrate` reports them (Sources/Scoring/Calibration.swift): k-fold cross-validation with folds of
    every k-th image, each scored against the threshold the rule sets from the others; then Wilson's
    one-sided bound, which says how little a few dozen images pin down a 1 % tail."""
    k, n = min(folds, len(scores)), len(scores)
    if k < 2:
        return float("nan"), float("nan")
    rejected = 0
    for fold in range(k):
        rest = [s for i, s in enumerate(scores) if i % k != fold]
        limit = float(np.quantile(np.array(rest), quantile)) * margin
        rejected += sum(s > limit for i, s in enumerate(scores) if i % k == fold)
    p, z2 = rejected / n, z * z
    bound = (p + z2 / (2 * n) + z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n)
    return p, min(1.0, bound)


def lone_outlier(scores: list[float], factor: float = 1.5) -> tuple[int, float] | None:
    """(index, ratio to the next highest) of the highest score when that ratio is over `factor` (it
    sets a high quantile alone), as `edge-inspect calibrate` warns (Calibration.loneOutlier)."""
    if len(scores) < 2:
        return None
    top = int(np.argmax(scores))
    rest = max(s for i, s in enumerate(scores) if i != top)
    if not scores[top] > factor * rest:
        return None
    return top, (scores[top] / rest if rest > 0 else math.inf)


def false_reject_note(scores: list[float], quantile: float, margin: float, names: list[str] | None = None) -> str:
    rate, bound = expected_false_rejects(scores, quantile, margin)
    note = (f"expected false rejects {100 * rate:.1f} % (5-fold cross-validation), "
            f"at most {100 * bound:.1f} % at 95 % confidence")
    lone = lone_outlier(scores)
    if lone is not None:
        index, ratio = lone
        name = names[index] if names else f"calibration image {index}"
        note += (f"\nwarning: {name} alone sets the threshold: it scores {ratio:.1f}x the next image. "
                 "If it is a good part, calibrate with more parts like it; if it is not, leave it out.")
    return note


def _set_chosen(ckpt: dict, key: str, value: str, images: list[np.ndarray] | None, choose, parse, limit: int,
                flag: str):
    """Sets ckpt["score"][key] from "auto" (`choose(f32 model file, calibration images)`; `images`:
    those images if already loaded) or a number in 0..limit; returns it."""
    if value == "auto":
        images = images if images is not None else calibration_images(ckpt)
        chosen = choose(build_modelfile(ckpt, "f32"), images)
    else:
        chosen = parse(value)
        if not 0 <= chosen <= limit:
            raise SystemExit(f"{flag} {value}: must be 0..{limit} or auto")
    ckpt["score"][key] = chosen
    return chosen


def set_border(ckpt: dict, value: str, images: list[np.ndarray] | None = None,
               errors: border.PlantedErrors | None = None) -> int:
    """score.border: "auto" is border.py's rule on the calibration images (`errors`: their
    PlantedErrors, shared with set_error_norm)."""
    def choose(mf, images):
        chosen, why = border.choose_for_model(mf, images, errors)
        print(f"score.border auto: {chosen} px ({why})")
        return chosen
    return _set_chosen(ckpt, "border", value, images, choose, int, 4096, "--score-border")


def set_error_norm(ckpt: dict, value: str, images: list[np.ndarray] | None = None,
                   errors: border.PlantedErrors | None = None) -> str:
    """score.error_norm: none, variance, or "auto" (border.choose_error_norm on the calibration images)."""
    if value == "auto":
        images = images if images is not None else calibration_images(ckpt)
        chosen, why = border.choose_error_norm(build_modelfile(ckpt, "f32"), images, errors)
        print(f"score.error_norm auto: {chosen} ({why})")
    elif value in ERROR_NORMS:
        chosen = value
    else:
        raise SystemExit(f"--error-norm {value}: must be {', '.join(ERROR_NORMS)} or auto")
    ckpt["score"]["error_norm"] = chosen
    return chosen


def planted_errors(ckpt: dict, images: list[np.ndarray] | None, error_norm: str | None,
                   score_border: str | None) -> border.PlantedErrors | None:
    """The planted-defect errors both auto rules read, computed once; None when neither is auto."""
    if "auto" not in (error_norm, score_border):
        return None
    images = images if images is not None else calibration_images(ckpt)
    return border.PlantedErrors(build_modelfile(ckpt, "f32"), images)


def set_map_sigma(ckpt: dict, value: str, images: list[np.ndarray] | None = None) -> float:
    """score.map_sigma: "auto" is map_sigma.py's rule on the calibration images. The score does not
    read it, so the threshold stays valid."""
    def choose(mf, images):
        chosen, table = map_sigma.choose_map_sigma(mf, images)
        print(f"score.map_sigma auto: {chosen:g} (pixel AUROC on {len(images)} held-out good images with "
              f"training corruptions: {', '.join(f'{s:g}: {a:.4f}' for s, a in table.items())})")
        return chosen
    return _set_chosen(ckpt, "map_sigma", value, images, choose, float, 64, "--map-sigma")


def _crop_around_peak(scorer: Scorer, pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """A height x width crop centred on the highest point of the smoothed map, so that the golden
    input holds the defect (and its padding path is exercised when the size is odd)."""
    res = scorer.score_pixels(pixels)
    y, x = np.unravel_index(int(np.argmax(res.map)), res.map.shape)
    _, h, w = res.image.shape
    top = int(np.clip(y - height // 2, 0, h - height))
    left = int(np.clip(x - width // 2, 0, w - width))
    return res.image[:, top:top + height, left:left + width].copy()


def write_goldens(mf: ModelFile, base_path: str, image_path: str) -> list[tuple[str, float]]:
    """Golden files for crops of `image_path`: `<base>` (53x75, odd, not a multiple of 8) and
    `<base minus .golden>.large.golden` (96x128). Returns (path, score) per file."""
    scorer = Scorer(mf)
    pixels = load_image(image_path, mf.meta("input.channels"))
    stem = base_path[:-len(".golden")] if base_path.endswith(".golden") else base_path
    written = []
    for suffix, (h, w) in GOLDEN_SIZES.items():
        crop = _crop_around_peak(scorer, pixels, h, w)   # at the model's input size
        res = scorer.score_input(crop)
        path = f"{stem}{suffix}.golden"
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        write_golden(path, {"image": res.image, "recon": res.recon, "error": res.error,
                            "map": res.map, "score": np.array([res.score])})
        written.append((path, res.score))
    return written


def export(args) -> None:
    ckpt = load_checkpoint(args.checkpoint)
    dtype = "i8" if args.int8 else args.dtype
    if "threshold" not in ckpt["score"]:
        raise SystemExit("checkpoint has no calibrated threshold (training did not finish)")
    overridden = False
    for key in ("sigma", "reduce"):
        value = getattr(args, key)
        if value is not None and value != ckpt["score"][key]:
            ckpt["score"][key] = value
            overridden = True
    needs_images = "auto" in (args.error_norm, args.score_border, args.map_sigma)
    held_out = calibration_images(ckpt) if needs_images else None   # read once
    errors = planted_errors(ckpt, held_out, args.error_norm, args.score_border)
    if args.error_norm is not None:   # first: the border and the map's sigma are chosen on its maps
        previous = ckpt["score"].get("error_norm", "none")
        overridden = set_error_norm(ckpt, args.error_norm, held_out, errors) != previous or overridden
    if args.score_border is not None:
        previous = ckpt["score"].get("border", 0)
        overridden = set_border(ckpt, args.score_border, held_out, errors) != previous or overridden
    if args.map_sigma is not None:   # the score does not read it; recalibrating sets score.map_threshold
        previous = ckpt["score"].get("map_sigma")
        overridden = set_map_sigma(ckpt, args.map_sigma, held_out) != previous or overridden
    mf = build_modelfile(ckpt, dtype, args.name)
    if dtype == "i8" and not args.no_int8_compute:
        images = training_images(ckpt, args.calib_images)
        nodes = add_activation_scales(mf, images, args.act_percentile, args.act_method)
        rule = "least squared error" if args.act_method == "mse" else f"percentile {args.act_percentile:g}"
        print(f"int8 compute: {len(nodes)} convolutions, activation scales from {len(images)} training images ({rule})")
    if overridden or (dtype != "f32" and not args.keep_threshold):
        # Another scoring rule, or reduced-precision weights that score slightly differently:
        # recalibrate on the same held-out images so the threshold matches what this file computes.
        calib = ckpt["score"]["calib"]
        images = held_out if held_out is not None else calibration_images(ckpt)
        threshold, scores = calibrate(mf, images, calib["quantile"], calib["margin"])
        print(f"recalibrated ({dtype}, sigma {ckpt['score']['sigma']:g}, {ckpt['score']['reduce']}, "
              f"border {ckpt['score'].get('border', 0)}): threshold {threshold:.6g} "
              f"(f32 checkpoint: {ckpt['score']['threshold']:.6g}), max good {max(scores):.6g}; "
              + false_reject_note(scores, calib["quantile"], calib["margin"], ckpt["data"].get("calib_files")))
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    size = write(args.out, mf)
    print(f"wrote {args.out}: {size} bytes, {len(mf.nodes)} nodes, {len(mf.tensors)} tensors, "
          f"weights {dtype}, threshold {mf.meta('score.threshold'):.6g}")
    if args.golden:
        if not args.golden_image:
            raise SystemExit("--golden needs --golden-image")
        for path, score in write_goldens(read(args.out), args.golden, args.golden_image):
            print(f"wrote {path}: score {score:.6g}")


def add_arguments(p) -> None:
    p.add_argument("--checkpoint", required=True, help="training checkpoint (runs/<name>/last.pt)")
    p.add_argument("--out", required=True, help="model file to write, e.g. weights/<name>.eim")
    p.add_argument("--name", help="model.name (default: the run name)")
    p.add_argument("--dtype", choices=["f32", "f16", "i8"], default="f32",
                   help="storage of conv weights (biases stay f32)")
    p.add_argument("--int8", action="store_true", help="same as --dtype i8")
    p.add_argument("--no-int8-compute", action="store_true",
                   help="i8: store no activation scales (the runtime dequantises and runs in float)")
    p.add_argument("--calib-images", type=int, default=DEFAULT_IMAGES,
                   help="i8: training images the activation scales are measured on")
    p.add_argument("--act-percentile", type=float, default=DEFAULT_PERCENTILE,
                   help="i8: activation scale = this percentile of |x| / 127 (--act-method percentile)")
    p.add_argument("--act-method", choices=["percentile", "mse"], default="percentile",
                   help="i8: how activation scales are chosen: a fixed percentile of |x|, or the clip with "
                        "the least mean squared int8 error on the calibration images")
    p.add_argument("--keep-threshold", action="store_true",
                   help="keep the f32 threshold instead of recalibrating f16/i8 exports")
    p.add_argument("--sigma", type=float, help="override score.sigma (recalibrates the threshold)")
    p.add_argument("--reduce", choices=["max", "mean"], help="override score.reduce (recalibrates)")
    p.add_argument("--error-norm", metavar="none|variance|auto",
                   help="override score.error_norm: divide the error by the image's pixel variance, or auto "
                        "(chosen with defects planted in the calibration images, see border.py); recalibrates")
    p.add_argument("--score-border", metavar="N|auto",
                   help="override score.border: pixels at each edge of the map the score ignores, or auto "
                        "(chosen from the calibration images, see border.py); recalibrates")
    p.add_argument("--map-sigma", metavar="S|auto",
                   help="score.map_sigma: the anomaly map's smoothing (heatmaps, raw maps, pixel metrics), "
                        "separate from the score's; auto picks it from the held-out good images with training "
                        "corruptions (map_sigma.py). The score and threshold do not change")
    p.add_argument("--golden", help="write golden files: this path (53x75 crop) and "
                                    "<path without .golden>.large.golden (96x128 crop)")
    p.add_argument("--golden-image", help="image whose crops (centred on the map's peak) are the golden inputs")
