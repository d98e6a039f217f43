"""Self-supervised training: corrupted crop in, clean crop out. Loss: squared error weighted up
inside the corrupted regions, plus optional SSIM and image-gradient terms. `--plain` trains the same
network as a plain autoencoder (clean in, clean out): the ablation baseline."""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import data as D
from .export import (DEFAULT_MARGIN, DEFAULT_QUANTILE, build_modelfile, calibrate, calibration_images,
                     false_reject_note, planted_errors, set_border, set_error_norm, set_map_sigma)
from .model import AutoEncoder, ModelConfig

SYNTHETIC = "synthetic"
SYNTHETIC_LICENCE = "generated procedurally by edgeinspect.synth; no third-party images"
MAGNETIC_TILE_LICENCE = ("Magnetic Tile Defect dataset, published for research use; cite Huang, Qiu, "
                         "Yuan: Surface defect saliency of magnetic tile, The Visual Computer 2020")


def _data_spec(args) -> tuple[dict, list[np.ndarray]]:
    """(description stored in the checkpoint, training pool)."""
    if args.data == SYNTHETIC:
        pool = D.synthetic_pool(args.synthetic_count)
        spec = {"kind": "synthetic", "resize": [0, 0], "calib_count": args.calib_count,
                "description": (f"synthetic woven texture (edgeinspect.synth), train split "
                                f"seeds [{D.synth.SPLIT_SEEDS['train']}, 0..{args.synthetic_count - 1}], "
                                f"calibration split [{D.synth.SPLIT_SEEDS['calib']}, "
                                f"0..{args.calib_count - 1}]"),
                "licence": SYNTHETIC_LICENCE}
        return spec, pool
    files = D.find_images(args.data)
    train_files, hold = D.split_holdout(files, args.holdout, args.seed)
    resize = [int(v) for v in args.resize]
    pool = [D.load_gray(p, tuple(resize)) for p in tqdm(train_files, desc="loading", leave=False)]
    licence = args.licence or (MAGNETIC_TILE_LICENCE if "magnetic" in args.data.lower() else "see dataset")
    spec = {"kind": "folder", "resize": resize, "calib_files": [os.path.abspath(p) for p in hold],
            "description": (f"{os.path.basename(os.path.normpath(args.data))}: {len(train_files)} "
                            f"training images, {len(hold)} held out for calibration"),
            "licence": licence}
    return spec, pool


def _lr(step: int, total: int, base: float, time_fraction: float) -> float:
    """Linear warm-up, then cosine decay to 5 %. Progress is the larger of the step fraction and
    the fraction of the time budget used, so a run cut short by --minutes still ends annealed."""
    warm = min(100, total // 10)
    if step < warm:
        return base * (step + 1) / warm
    progress = max((step - warm) / max(1, total - warm), time_fraction)
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def _gradient_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]  # noqa: E731
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]  # noqa: E731
    return F.mse_loss(dx(pred), dx(target)) + F.mse_loss(dy(pred), dy(target))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    g = torch.exp(-0.5 * ((torch.arange(size) - size // 2) / sigma) ** 2)
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def _ssim_loss(pred: torch.Tensor, target: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """1 - mean SSIM (11x11 Gaussian window), on images in [0, 1] units: SSIM compares local
    structure and contrast, which plain L2 under-weights for thin defects like scratches."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    blur = lambda t: F.conv2d(t, window)  # noqa: E731  (valid: no border artefacts)
    mu_p, mu_t = blur(pred), blur(target)
    var_p = blur(pred * pred) - mu_p ** 2
    var_t = blur(target * target) - mu_t ** 2
    cov = blur(pred * target) - mu_p * mu_t
    ssim = ((2 * mu_p * mu_t + c1) * (2 * cov + c2)) / ((mu_p ** 2 + mu_t ** 2 + c1) * (var_p + var_t + c2))
    return 1 - ssim.mean()


def write_preview(path: str, dirty: np.ndarray, clean: np.ndarray, mask: np.ndarray, n: int = 8) -> None:
    """A PNG of training pairs (rows: input, target, corruption mask) so a person can see what the
    network is asked to repair."""
    from PIL import Image
    n = min(n, dirty.shape[0])
    rows = [np.concatenate(list(a[:n, 0]), axis=1) for a in (dirty, clean, mask)]
    grid = np.clip(np.concatenate(rows, axis=0), 0, 1)
    Image.fromarray(np.rint(grid * 255).astype(np.uint8)).save(path)


def _save(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    last = os.path.join(args.out, "last.pt")

    spec, pool = _data_spec(args)
    # Every image contributes (folders are sorted by lighting, so the first few are not typical).
    stacked = np.concatenate([p[::4, ::4].ravel() for p in pool])
    mean, std = float(stacked.mean()), float(max(stacked.std(), 1e-3))
    config = ModelConfig(widths=tuple(args.widths))
    model = AutoEncoder(config)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, cpu_seconds = 0, 0.0
    command = "python -m edgeinspect " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if args.resume and os.path.exists(last):
        ck = torch.load(last, map_location="cpu", weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, mean, std = ck["step"], ck["mean"][0], ck["std"][0]
        cpu_seconds = ck.get("cpu_seconds", 0.0)
        # Provenance: the original command, then every command that continued it.
        command = f"{ck['command']} ; resumed at step {step}: {command}"
        print(f"resumed from {last} at step {step}")
    if args.channels_last:
        # oneDNN's convolutions run 1.5x faster on NHWC than on planar tensors here (2 threads,
        # crop 192); the arithmetic is fp32 either way, only its summation order differs.
        model = model.to(memory_format=torch.channels_last)
    layout = torch.channels_last if args.channels_last else torch.contiguous_format

    def state() -> dict:
        return {"name": args.name or os.path.basename(os.path.normpath(args.out)),
                "config": config.to_dict(),
                "model": {k: v.contiguous() for k, v in model.state_dict().items()},
                "optimizer": opt.state_dict(), "step": step,
                "cpu_seconds": cpu_seconds + time.process_time() - cpu_start,
                "args": {k: v for k, v in vars(args).items() if isinstance(v, (int, float, str, list))},
                "mean": [mean], "std": [std], "data": spec, "command": command,
                "score": {"sigma": args.sigma, "reduce": args.reduce, "scale": 1.0}}

    preview_rng = np.random.default_rng([args.seed, 999_999])
    write_preview(os.path.join(args.out, "corruptions.png"),
                  *D.make_batch(preview_rng, pool, 8, args.crop, border=args.border, corrupted=not args.plain,
                                large=args.large_regions, jitter=args.intensity_jitter,
                                seam=args.seam_bands, kept_noise=args.kept_noise))
    window = _gaussian_window()
    start, cpu_start = time.monotonic(), time.process_time()
    budget = args.minutes * 60 if args.minutes else math.inf
    cpu_budget = args.cpu_minutes * 60 if args.cpu_minutes else math.inf

    def used() -> float:
        """Fraction of the tighter budget spent: wall time, or CPU time of all threads of this
        process (a budget that means the same on a quiet machine and on a shared one)."""
        return max((time.monotonic() - start) / budget, (time.process_time() - cpu_start) / cpu_budget)
    model.train()
    bar = tqdm(total=args.steps, initial=step, desc="train", dynamic_ncols=True, mininterval=5)
    smoothed = None
    while step < args.steps and used() < 1:
        rng = np.random.default_rng([args.seed, step])  # batch depends only on (seed, step): resumable
        dirty, clean, mask = D.make_batch(rng, pool, args.batch, args.crop, border=args.border,
                                          corrupted=not args.plain, large=args.large_regions,
                                          jitter=args.intensity_jitter, seam=args.seam_bands,
                                          kept_noise=args.kept_noise)
        x = ((torch.from_numpy(dirty) - mean) / std).contiguous(memory_format=layout)
        y = ((torch.from_numpy(clean) - mean) / std).contiguous(memory_format=layout)
        for g in opt.param_groups:
            g["lr"] = _lr(step, args.steps, args.lr, used())
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            pred = model(x)
        pred = pred.float()  # the loss in fp32 whatever the forward pass used
        # Squared error, weighted up inside the corrupted blobs: there the network must repair,
        # everywhere else copying would do, and an unweighted loss mostly teaches copying.
        weight = 1.0 + args.mask_weight * torch.from_numpy(mask)
        loss = (weight * (pred - y) ** 2).mean() / weight.mean()
        if args.grad_weight > 0:
            loss = loss + args.grad_weight * _gradient_loss(pred, y)
        if args.ssim_weight > 0:
            loss = loss + args.ssim_weight * _ssim_loss(pred * std + mean, torch.from_numpy(clean), window)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        smoothed = loss.item() if smoothed is None else 0.98 * smoothed + 0.02 * loss.item()
        bar.update(1)
        bar.set_postfix(loss=f"{smoothed:.4f}")
        if step % args.checkpoint_every == 0:
            _save(last, state())
    bar.close()
    cpu_seconds, cpu_start = cpu_seconds + time.process_time() - cpu_start, time.process_time()
    print(f"stopped at step {step} after {(time.monotonic() - start) / 60:.1f} min "
          f"({cpu_seconds / 60:.1f} CPU minutes in all), loss {smoothed}")

    model.eval()
    ck = state()
    _save(last, ck)
    images = calibration_images(ck)
    errors = planted_errors(ck, images, args.error_norm, args.score_border)
    if args.error_norm is not None:
        set_error_norm(ck, args.error_norm, images, errors)
    if args.score_border is not None:
        set_border(ck, args.score_border, images, errors)
    if args.map_sigma is not None:
        set_map_sigma(ck, args.map_sigma, images)
    mf = build_modelfile(ck, "f32")
    threshold, scores = calibrate(mf, images, args.quantile, args.margin)
    if "score.map_threshold" in mf.metadata:
        ck["score"]["map_threshold"] = mf.meta("score.map_threshold")
    ck["score"].update({"threshold": threshold,
                        "calib": {"images": len(images), "quantile": args.quantile, "margin": args.margin}})
    _save(last, ck)
    with open(os.path.join(args.out, "calibration.json"), "w") as f:
        json.dump({"threshold": threshold, "quantile": args.quantile, "margin": args.margin,
                   "scores": scores, "step": step}, f, indent=1)
    print(f"calibration: {len(scores)} good images, scores min {min(scores):.6g} "
          f"median {float(np.median(scores)):.6g} max {max(scores):.6g} -> threshold {threshold:.6g}; "
          + false_reject_note(scores, args.quantile, args.margin, ck["data"].get("calib_files")))


def add_arguments(p) -> None:
    p.add_argument("--data", required=True,
                   help="'synthetic', or a folder of good images (MVTec layout: <folder>/train/good)")
    p.add_argument("--out", required=True, help="run folder, e.g. runs/<name> (checkpoints, calibration)")
    p.add_argument("--name", help="model name (default: the run folder name)")
    p.add_argument("--steps", type=int, default=4000, help="total optimiser steps (also the LR schedule length)")
    p.add_argument("--minutes", type=float, default=0, help="stop after this many minutes (0: no limit)")
    p.add_argument("--cpu-minutes", type=float, default=0,
                   help="stop after this much CPU time, all threads counted (90 = 45 minutes on 2 busy cores)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=128, help="square crop size, a multiple of 8")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--mask-weight", type=float, default=5.0,
                   help="extra loss weight inside the corrupted regions (0: plain L2)")
    p.add_argument("--grad-weight", type=float, default=0.0, help="weight of the image-gradient L2 term")
    p.add_argument("--ssim-weight", type=float, default=0.0, help="weight of the 1 - SSIM term")
    p.add_argument("--border", type=float, default=0.5,
                   help="probability that a crop touches the image edge, per axis")
    p.add_argument("--large-regions", type=float, default=0.0,
                   help="probability that a corrupted region is a large one: a band along a side or a blob "
                        "15-35 %% of the crop across (corrupt.LARGE_SHAPES)")
    p.add_argument("--seam-bands", type=float, default=0.0,
                   help="probability that a corrupted region is a band ending in a sharp seam, filled with the crop's own "
                        "texture at another brightness, contrast and streak strength (corrupt.regrind)")
    p.add_argument("--kept-noise", type=float, default=0.0,
                   help="per crop, Gaussian noise of standard deviation U(0, K) on input and target alike, which the "
                        "network must keep (data.make_batch); 0: none")
    p.add_argument("--intensity-jitter", type=float, default=0.0,
                   help="per crop, a random gain exp(U(-J, J)) about its mean and offset U(-J, J) / 2 on input and "
                        "target alike (data.jitter_intensity); 0: none")
    p.add_argument("--plain", action="store_true",
                   help="ablation: no corruption, the network learns the identity (plain autoencoder)")
    p.add_argument("--widths", type=int, nargs=3, default=[16, 32, 64], metavar=("W1", "W2", "W3"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--channels-last", action="store_true",
                   help="train on NHWC tensors (same fp32 arithmetic, another summation order; 1.5x faster here)")
    p.add_argument("--bf16", action="store_true",
                   help="forward pass under bfloat16 autocast (weights, optimiser and loss stay fp32); pays where "
                        "the CPU has bf16 dot products (AVX512_BF16, AMX, ARMv8.6 BF16)")
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    p.add_argument("--resize", type=int, nargs=2, default=[0, 0], metavar=("H", "W"),
                   help="folder data: resize every image to H x W (0 0 = native size)")
    p.add_argument("--holdout", type=float, default=0.1, help="folder data: fraction held out for calibration")
    p.add_argument("--licence", help="folder data: licence note for the model file")
    p.add_argument("--synthetic-count", type=int, default=256, help="synthetic: training images generated")
    p.add_argument("--calib-count", type=int, default=64, help="synthetic: calibration images generated")
    p.add_argument("--sigma", type=float, default=4.0, help="score.sigma")
    p.add_argument("--reduce", choices=["max", "mean"], default="max", help="score.reduce")
    p.add_argument("--error-norm", metavar="none|variance|auto", default="auto",
                   help="score.error_norm: divide the error by the image's pixel variance; auto decides with "
                        "defects planted in the calibration images (edgeinspect/border.py)")
    p.add_argument("--score-border", metavar="N|auto", default="auto",
                   help="score.border: pixels at each edge of the map the score ignores; auto picks it from "
                        "the calibration images (edgeinspect/border.py)")
    p.add_argument("--map-sigma", metavar="S|auto", default="auto",
                   help="score.map_sigma: the anomaly map's smoothing; auto picks it from the calibration images "
                        "with training corruptions (edgeinspect/map_sigma.py)")
    p.add_argument("--quantile", type=float, default=DEFAULT_QUANTILE)
    p.add_argument("--margin", type=float, default=DEFAULT_MARGIN)
