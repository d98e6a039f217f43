"""Training data: image folders or the synthetic generator, random crops, and the
self-supervised corruption (the network sees the corrupted crop and must output the clean one)."""

from __future__ import annotations

import math
import os

import numpy as np

from . import synth
from .corrupt import corrupt
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


def _crop_start(rng: np.random.Generator, extent: int, size: int, border: float) -> int:
    """Where a crop starts along one axis. With probability `border` it touches the image edge:
    at test time every image has edges, and a network that never saw one during training
    "repairs" them, so the largest errors of good images sit at their borders."""
    if rng.random() < border:
        return 0 if rng.random() < 0.5 else extent - size
    return int(rng.integers(0, extent - size + 1))


def random_crop(rng: np.random.Generator, img: np.ndarray, size: int, flips: bool,
                border: float = 0.0) -> np.ndarray:
    """A size x size crop; images smaller than the crop are replicate-padded at the bottom and
    right first, as the runtime pads its inputs."""
    h, w = img.shape
    if h < size or w < size:
        img = np.pad(img, ((0, max(0, size - h)), (0, max(0, size - w))), mode="edge")
        h, w = img.shape
    y = _crop_start(rng, h, size, border)
    x = _crop_start(rng, w, size, border)
    crop = img[y:y + size, x:x + size]
    if flips:
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        if rng.random() < 0.5:
            crop = crop[::-1, :]
    return np.ascontiguousarray(crop, dtype=np.float32)


def jitter_intensity(rng: np.random.Generator, img: np.ndarray, amount: float) -> np.ndarray:
    """The crop under other lighting: gain exp(U(-amount, amount)) about its mean, then an offset
    U(-amount, amount) / 2, clipped to [0, 1]. Input and target both get it, so the network learns
    to keep an image's brightness, not to pull it toward the training images' average."""
    gain = math.exp(rng.uniform(-amount, amount))
    offset = rng.uniform(-amount, amount) / 2
    m = float(img.mean())
    return np.clip(m + (img - m) * gain + offset, 0.0, 1.0).astype(np.float32)


def make_batch(rng: np.random.Generator, pool: list[np.ndarray], batch: int, crop: int,
               flips: bool = True, border: float = 0.0, corrupted: bool = True, large: float = 0.0,
               jitter: float = 0.0, seam: float = 0.0,
               kept_noise: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input, clean target, corruption mask) as [B, 1, crop, crop] float32 arrays. With
    corrupted=False the input is the clean crop itself: the plain autoencoder of the ablation.
    jitter > 0: `jitter_intensity` on each clean crop. kept_noise > 0: Gaussian noise of standard
    deviation U(0, kept_noise) added to input and target alike, so the network must keep it (Bauer
    & Mueller, arXiv 2511.07233: a Tikhonov term that pulls its Jacobian toward the identity, so
    it alters normal content less). At 0 neither draws random numbers, so earlier runs' batches
    are unchanged."""
    clean = np.empty((batch, 1, crop, crop), np.float32)
    dirty = np.empty_like(clean)
    mask = np.zeros_like(clean)
    for i in range(batch):
        a = random_crop(rng, pool[int(rng.integers(len(pool)))], crop, flips, border)
        if jitter > 0:
            a = jitter_intensity(rng, a, jitter)
        clean[i, 0] = a
        if corrupted:
            # The foreign patch comes from a whole image, so rotation and zoom have room.
            dirty[i, 0], mask[i, 0] = corrupt(rng, a, pool[int(rng.integers(len(pool)))], large, seam)
        else:
            dirty[i, 0] = a
        if kept_noise > 0:
            n = rng.normal(0, rng.uniform(0, kept_noise), a.shape).astype(np.float32)
            dirty[i, 0] = np.clip(dirty[i, 0] + n, 0, 1)
            clean[i, 0] = np.clip(a + n, 0, 1)
    return dirty, clean, mask
