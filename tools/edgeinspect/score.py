"""Reference scoring, exactly the "Scoring" section of docs/model-format.md.

Everything outside the network runs in float64 numpy; the network runs in float32 torch with the
file's (dequantised) weights, except convolutions the file marks for int8, which are emulated
exactly as the runtime's int8 path computes them. The Swift runtime is compared against these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .graph import run_graph
from .modelfile import ModelFile

LUMA = (0.299, 0.587, 0.114)


ERROR_NORMS = ("none", "variance")   # score.error_norm; absent = none
VARIANCE_FLOOR = 1e-4  # what variance normalisation divides by at least (a std of 2.55 gray levels)

def load_image(path: str, channels: int = 1) -> np.ndarray:
    """Decode to float64 [C, H, W] in [0, 1]. Gray models take luma of RGB; RGB models replicate
    a gray image to three channels."""
    with Image.open(path) as im:
        im.load()
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(im, dtype=np.float64)
            gray = arr / (65535.0 if im.mode.startswith("I;16") else max(arr.max(), 1.0))
            return np.repeat(gray[None], channels, axis=0)
        if im.mode in ("L", "LA", "1"):
            gray = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
            return np.repeat(gray[None], channels, axis=0)
        rgb = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
    rgb = rgb.transpose(2, 0, 1)
    if channels == 3:
        return rgb
    return (LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2])[None]


def _resize_axis(x: np.ndarray, out: int, axis: int) -> np.ndarray:
    """Area average when shrinking (adaptive_avg_pool bounds), bilinear with half-pixel centres
    when enlarging (PyTorch align_corners=False, source coordinate clamped at 0)."""
    n = x.shape[axis]
    if out == n:
        return x
    x = np.moveaxis(x, axis, -1)
    res = np.empty(x.shape[:-1] + (out,), dtype=np.float64)
    if out < n:
        for i in range(out):
            lo = (i * n) // out
            hi = -((-(i + 1) * n) // out)  # ceil((i+1)*n/out)
            res[..., i] = x[..., lo:hi].mean(axis=-1)
    else:
        for i in range(out):
            src = max((i + 0.5) * n / out - 0.5, 0.0)
            i0 = min(int(math.floor(src)), n - 1)
            i1 = min(i0 + 1, n - 1)
            lam = src - i0
            res[..., i] = (1.0 - lam) * x[..., i0] + lam * x[..., i1]
    return np.moveaxis(res, -1, axis)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize [C, H, W] per axis (the two axes are separable, so the order does not matter)."""
    return _resize_axis(_resize_axis(image, height, 1), width, 2)


def gaussian_kernel(sigma: float) -> np.ndarray:
    radius = math.ceil(4.0 * sigma)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return k / k.sum()


def smooth(error: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised separable Gaussian, radius ceil(4 sigma), replicated borders; sigma 0 = none."""
    if sigma <= 0:
        return error.copy()
    k = gaussian_kernel(sigma)
    r = len(k) // 2
    out = error.astype(np.float64)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode="edge")
        acc = np.zeros_like(out)
        n = out.shape[axis]
        for j, w in enumerate(k):
            sl = [slice(None), slice(None)]
            sl[axis] = slice(j, j + n)
            acc += w * padded[tuple(sl)]
        out = acc
    return out


def interior(m: np.ndarray, border: int) -> np.ndarray:
    """Step 6: the pixels at least `border` from every edge, the border shrunk so that the centre
    row and column remain."""
    b = max(0, min(border, (m.shape[0] - 1) // 2, (m.shape[1] - 1) // 2))
    return m[b:m.shape[0] - b, b:m.shape[1] - b]


@dataclass
class ScoreResult:
    image: np.ndarray   # [C, H, W] model-input pixels in [0, 1] (after resize)
    recon: np.ndarray   # [C, H, W] graph output cropped, normalised space (float32)
    error: np.ndarray   # [H, W] raw error map, pixel units (/ the image's variance: score.error_norm)
    map: np.ndarray     # [H, W] the anomaly map: error smoothed with score.map_sigma
    scored: np.ndarray  # [H, W] error smoothed with score.sigma, the map the score reduces
    score: float


class Scorer:
    """Scores images with a model file, as the runtime does."""

    def __init__(self, mf: ModelFile, int8: bool = True):
        """int8: run the convolutions the file marks for int8 as the runtime's int8 path does
        (False: all in float with dequantised weights, like `edge-inspect score --fp32`)."""
        self.mf = mf
        self.params = mf.params()
        self.int8 = mf.int8_nodes() if int8 else {}
        self.channels = mf.meta("input.channels")
        self.mean = np.array(mf.meta("input.mean"), dtype=np.float64)
        self.std = np.array(mf.meta("input.std"), dtype=np.float64)
        self.multiple = mf.meta("input.size_multiple")
        self.pad_mode = mf.meta("input.pad_mode")
        self.resize_to = tuple(mf.meta("input.resize"))
        self.sigma = mf.meta("score.sigma")
        self.map_sigma = mf.meta("score.map_sigma") if "score.map_sigma" in mf.metadata else self.sigma
        self.border = mf.meta("score.border") if "score.border" in mf.metadata else 0
        self.error_norm = mf.meta("score.error_norm") if "score.error_norm" in mf.metadata else "none"
        self.reduce = mf.meta("score.reduce")
        self.scale = mf.meta("score.scale")
        self.threshold = mf.meta("score.threshold")

    def prepare(self, pixels: np.ndarray) -> np.ndarray:
        """Step 2: the resize rule."""
        if self.resize_to[0] > 0:
            return resize(pixels, self.resize_to[0], self.resize_to[1])
        return pixels

    def reconstruct(self, pixels: np.ndarray, on_conv=None) -> np.ndarray:
        """Step 3: normalise, pad bottom/right to the multiple, run the graph, crop (normalised).
        on_conv: see graph.run_graph."""
        c, h, w = pixels.shape
        norm = (pixels - self.mean[:, None, None]) / self.std[:, None, None]
        ph = -(-h // self.multiple) * self.multiple - h
        pw = -(-w // self.multiple) * self.multiple - w
        mode = "edge" if self.pad_mode == "replicate" else "constant"
        norm = np.pad(norm, ((0, 0), (0, ph), (0, pw)), mode=mode)
        x = torch.from_numpy(norm.astype(np.float32))[None]
        with torch.no_grad():
            y = run_graph(self.mf.nodes, self.mf.output, self.params, x, int8=self.int8, on_conv=on_conv)
        return y[0, :, :h, :w].numpy().astype(np.float32)

    def score_pixels(self, pixels: np.ndarray) -> ScoreResult:
        """Scores an image at its own size (prepare, then score_input)."""
        return self.score_input(self.prepare(pixels))

    def score_input(self, image: np.ndarray) -> ScoreResult:
        """Scores an image already at the model's input size (`prepare`d). The rules that plant
        defects into prepared images call this, and so do golden files, whose small crops of a
        resized image `prepare` would otherwise resize again."""
        if image.shape[0] != self.channels:
            raise ValueError(f"image has {image.shape[0]} channels, model wants {self.channels}")
        recon = self.reconstruct(image)
        out = recon.astype(np.float64) * self.std[:, None, None] + self.mean[:, None, None]
        error = ((out - image) ** 2).mean(axis=0)
        if self.error_norm == "variance":
            error = error / max(float(image.astype(np.float64).var()), VARIANCE_FLOOR)
        smoothed = smooth(error, self.sigma)
        shown = smoothed if self.map_sigma == self.sigma else smooth(error, self.map_sigma)
        scored = interior(smoothed, self.border)
        reduced = scored.max() if self.reduce == "max" else scored.mean()
        return ScoreResult(image, recon, error, shown, smoothed, float(reduced / self.scale))

    def score_file(self, path: str) -> ScoreResult:
        return self.score_pixels(load_image(path, self.channels))
