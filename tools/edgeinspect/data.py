"""Training data: image folders or the synthetic generator, random crops, and the
self-supervised corruption (the network sees the corrupted crop and must output the clean one)."""

from __future__ import annotations

import math
import os

import numpy as np

from . import synth
from .score import load_image, resize

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def find_images(folder: str) -> list[str]:
    """Defect-free training images: `<folder>/train/good` for the MVTec layout, else the folder
    itself (not recursive). Sorted, so a seed picks the same split everywhere."""
    good = os.path.join(folder, "train", "good")
    root = good if os.path.isdir(good) else folder
    files = sorted(os.path.join(root, f) for f in os.listdir(root)
                   if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise SystemExit(f"no PNG/JPEG images in {root}")
    return files


def load_gray(path: str, size: tuple[int, int] = (0, 0)) -> np.ndarray:
    """[H, W] float32 in [0, 1], resized with the scoring rule when size is non-zero."""
    img = load_image(path, 1)
    if size[0] > 0:
        img = resize(img, size[0], size[1])
    return img[0].astype(np.float32)


def split_holdout(files: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train, held-out) with a seeded shuffle; at least 8 held out when there are enough files."""
    order = np.random.default_rng([seed, 77]).permutation(len(files))
    n_hold = min(max(8, int(round(fraction * len(files)))), len(files) // 2)
    hold = sorted(files[i] for i in order[:n_hold])
    train = sorted(files[i] for i in order[n_hold:])
    return train, hold


def synthetic_pool(count: int, split: str = "train") -> list[np.ndarray]:
    return [synth.good_image(split, i).astype(np.float32) for i in range(count)]


def random_crop(rng: np.random.Generator, img: np.ndarray, size: int, flips: bool) -> np.ndarray:
    """A size x size crop; images smaller than the crop are replicate-padded first."""
    h, w = img.shape
    if h < size or w < size:
        img = np.pad(img, ((0, max(0, size - h)), (0, max(0, size - w))), mode="edge")
        h, w = img.shape
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    crop = img[y:y + size, x:x + size]
    if flips:
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        if rng.random() < 0.5:
            crop = crop[::-1, :]
    return np.ascontiguousarray(crop, dtype=np.float32)


# ---------------------------------------------------------------- corruption

def _box_blur(img: np.ndarray, radius: int) -> np.ndarray:
    """Separable box blur with replicated borders (cumulative sums: O(1) per pixel)."""
    out = img.astype(np.float64)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius + 1, radius)
        p = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis)
        n = out.shape[axis]
        hi = np.take(p, np.arange(2 * radius + 1, 2 * radius + 1 + n), axis=axis)
        lo = np.take(p, np.arange(0, n), axis=axis)
        out = (hi - lo) / (2 * radius + 1)
    return out.astype(np.float32)


def blob_mask(rng: np.random.Generator, size: int) -> np.ndarray:
    """A soft-edged blob: an ellipse with a wobbly outline, or a thin elongated one (a scratch
    or crack stand-in). Values in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    cy, cx = rng.uniform(0, size, 2)
    if rng.random() < 0.4:
        ry, rx = rng.uniform(0.6, 2.5), rng.uniform(8, size / 3)
    else:
        ry, rx = rng.uniform(3, size / 5, 2)
    ang = rng.uniform(0, np.pi)
    dy, dx = yy - cy, xx - cx
    a = math.cos(ang) * dx + math.sin(ang) * dy
    b = -math.sin(ang) * dx + math.cos(ang) * dy
    phi = np.arctan2(b, a)
    wobble = (1 + rng.uniform(0, 0.25) * np.cos(2 * phi + rng.uniform(0, 6.3))
              + rng.uniform(0, 0.15) * np.cos(3 * phi + rng.uniform(0, 6.3)))
    rr = np.sqrt((a / rx) ** 2 + (b / ry) ** 2) / wobble
    soft = rng.uniform(0.5, 4.0)
    return np.clip(0.5 + (1 - rr) * min(rx, ry) / soft, 0, 1).astype(np.float32)


def _smooth_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    cells = int(rng.integers(2, 17))
    coarse = rng.uniform(0, 1, (cells + 1, cells + 1))
    idx = np.linspace(0, cells, size)
    i0 = np.minimum(idx.astype(int), cells - 1)
    t = (idx - i0)[:, None]
    rows = coarse[i0] * (1 - t) + coarse[i0 + 1] * t          # [size, cells+1]
    tt = (idx - i0)[None, :]
    tex = rows[:, i0] * (1 - tt) + rows[:, i0 + 1] * tt
    mean, contrast = rng.uniform(0, 1), rng.uniform(0, 0.4)
    return (mean + contrast * (tex - 0.5)).astype(np.float32)


def corruption_fill(rng: np.random.Generator, img: np.ndarray, other: np.ndarray) -> np.ndarray:
    """What goes inside a blob: structure that does not belong at that place."""
    size = img.shape[0]
    kind = rng.choice(["other", "texture", "blur", "offset", "misaligned"],
                      p=[0.3, 0.2, 0.15, 0.2, 0.15])
    if kind == "other":
        shifted = np.roll(other, tuple(rng.integers(0, size, 2)), axis=(0, 1))
        return shifted * rng.uniform(0.8, 1.2) + rng.uniform(-0.1, 0.1)
    if kind == "texture":
        return _smooth_texture(rng, size)
    if kind == "blur":
        return _box_blur(img, int(rng.integers(3, 12)))
    if kind == "offset":
        return img + rng.choice([-1, 1]) * rng.uniform(0.08, 0.4)
    return np.roll(img, tuple(rng.integers(3, size - 3, 2)), axis=(0, 1))


def corrupt(rng: np.random.Generator, clean: np.ndarray,
            other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(corrupted, mask): 1-3 soft blobs filled with foreign structure, then light Gaussian noise
    on everything. The mask (max of the blob masks) lets the loss weight the repaired regions."""
    img = clean.copy()
    mask = np.zeros_like(clean)
    for _ in range(int(rng.integers(1, 4))):
        m = blob_mask(rng, clean.shape[0])
        img = img * (1 - m) + corruption_fill(rng, img, other) * m
        mask = np.maximum(mask, m)
    img = img + rng.normal(0, rng.uniform(0, 0.015), img.shape).astype(np.float32)
    return np.clip(img, 0, 1).astype(np.float32), mask


def make_batch(rng: np.random.Generator, pool: list[np.ndarray], batch: int, crop: int,
               flips: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(corrupted, clean, corruption mask) as [B, 1, crop, crop] float32 arrays."""
    clean = np.empty((batch, 1, crop, crop), np.float32)
    dirty = np.empty_like(clean)
    mask = np.empty_like(clean)
    for i in range(batch):
        a = random_crop(rng, pool[int(rng.integers(len(pool)))], crop, flips)
        b = random_crop(rng, pool[int(rng.integers(len(pool)))], crop, flips)
        clean[i, 0] = a
        dirty[i, 0], mask[i, 0] = corrupt(rng, a, b)
    return dirty, clean, mask
