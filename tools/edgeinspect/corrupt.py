"""The self-supervised corruption of Bauer, Nakajima & Mueller (arXiv 2206.11723): parts of a clean
image are replaced by structured, spatially coherent content that does not belong there, and the
network is trained to output the clean image.

A corruption is a soft-edged *shape* (where) times a *fill* (what). Shapes: wobbly ellipses,
Perlin-like blobs (thresholded multi-octave value noise), elastically warped polygons, and thin
curved lines (scratches, cracks). Fills: patches of other training images (shifted, rotated,
rescaled, intensity-changed), procedural foreign textures (value noise, gratings, checkers, random
strokes), blurred or smoothed content, an intensity offset, and a misaligned copy of the image
itself. Several regions per image, of varied sizes; light Gaussian noise over everything.
Everything is numpy on [H, W] float32 in [0, 1] (gray), driven only by the given generator.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import ndimage

# ---------------------------------------------------------------- shapes (masks in [0, 1])


def value_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Smooth noise in [0, 1]: a coarse random grid, bicubically upsampled (ndimage.zoom's cubic
    spline, reflect mode, grid mode), as two small matrix products."""
    coarse = rng.uniform(0, 1, (cells + 3, cells + 3)).astype(np.float32)
    # einsum, not @: numpy's BLAS would start threads that keep spinning after the call and take
    # the cores from torch's training step (compute 310 -> 380 ms a step).
    rows = np.einsum("yi,ij->yj", _upsampling(cells, h), coarse.astype(np.float64))
    big = np.einsum("yj,xj->yx", rows, _upsampling(cells, w))
    return np.clip(big, 0, 1).astype(np.float32)


@functools.lru_cache(maxsize=256)
def _upsampling(cells: int, size: int) -> np.ndarray:
    """[size, cells + 3]: the first `size` samples of ndimage.zoom's cubic-spline upsampling of a
    (cells + 3)-point signal by size / cells. The spline is linear and separable, so its rows are
    the zooms of the unit vectors. Zooming the whole 2-D grid instead took 8 ms a call, two thirds
    of a training step's data preparation (crop 192, batch 6: 130-150 ms of a 450 ms step)."""
    n = cells + 3
    rows = [ndimage.zoom(np.eye(n)[i], size / cells, order=3, mode="reflect", grid_mode=True)[:size]
            for i in range(n)]
    return np.stack(rows, axis=1)


def _soften(hard: np.ndarray, rng: np.random.Generator, sigma: tuple[float, float] = (0.5, 3.0)) -> np.ndarray:
    """Soft mask edges (the network must not learn to look for a sharp seam), blurred by a sigma
    drawn from the given range."""
    sigma = rng.uniform(*sigma)
    return np.clip(ndimage.gaussian_filter(hard.astype(np.float32), sigma), 0, 1)


def ellipse_mask(rng: np.random.Generator, h: int, w: int, radius: tuple[float, float] | None = None) -> np.ndarray:
    """A wobbly ellipse; radius: (low, high) fractions of the shorter side (default: 3 px to 1/5)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    lo, hi = (3, max(4, min(h, w) / 5)) if radius is None else (radius[0] * min(h, w), radius[1] * min(h, w))
    ry, rx = rng.uniform(lo, hi, 2)
    ang = rng.uniform(0, np.pi)
    dy, dx = yy - cy, xx - cx
    a = math.cos(ang) * dx + math.sin(ang) * dy
    b = -math.sin(ang) * dx + math.cos(ang) * dy
    phi = np.arctan2(b, a)
    wobble = (1 + rng.uniform(0, 0.25) * np.cos(2 * phi + rng.uniform(0, 6.3))
              + rng.uniform(0, 0.15) * np.cos(3 * phi + rng.uniform(0, 6.3)))
    rr = np.sqrt((a / rx) ** 2 + (b / ry) ** 2) / wobble
    return _soften(rr < 1, rng)


def perlin_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Irregular blobs: thresholded two-octave noise, restricted to a random window so that the
    region is local, not spread over the whole image."""
    cells = int(rng.integers(3, 9))
    n = 0.65 * value_noise(rng, h, w, cells) + 0.35 * value_noise(rng, h, w, 2 * cells)
    wy, wx = int(rng.integers(h // 5, h // 2 + 1)), int(rng.integers(w // 5, w // 2 + 1))
    y0, x0 = int(rng.integers(0, h - wy + 1)), int(rng.integers(0, w - wx + 1))
    window = n[y0:y0 + wy, x0:x0 + wx]
    blob = np.zeros((h, w), bool)
    blob[y0:y0 + wy, x0:x0 + wx] = window > np.quantile(window, rng.uniform(0.5, 0.8))
    return _soften(blob, rng)


def elastic_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A random star-shaped polygon, elastically warped by a smooth displacement field."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    r0 = rng.uniform(4, max(5, min(h, w) / 6))
    k = int(rng.integers(5, 11))
    radii = r0 * rng.uniform(0.5, 1.5, k)
    strength = rng.uniform(2, 8)
    dy = (value_noise(rng, h, w, 4) - 0.5) * 2 * strength
    dx = (value_noise(rng, h, w, 4) - 0.5) * 2 * strength
    py, px = yy + dy - cy, xx + dx - cx
    ang = (np.arctan2(py, px) + np.pi) / (2 * np.pi) * k
    i0 = np.floor(ang).astype(int) % k
    t = ang - np.floor(ang)
    edge = radii[i0] * (1 - t) + radii[(i0 + 1) % k] * t
    return _soften(np.hypot(py, px) < edge, rng)


def line_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A thin curved stroke (scratch) or a jagged random walk (crack), 1 to 4 px wide."""
    pos = np.array([rng.uniform(0, h), rng.uniform(0, w)])
    heading = rng.uniform(0, 2 * np.pi)
    jag = rng.choice([0.05, 0.5])
    steps = int(rng.integers(8, 30))
    step_len = rng.uniform(2, 6)
    pts = [pos.copy()]
    for _ in range(steps):
        heading += rng.normal(0, jag)
        pos = pos + step_len * np.array([math.sin(heading), math.cos(heading)])
        pts.append(pos.copy())
    hard = np.zeros((h, w), bool)
    ys, xs = _segment_points(np.array(pts))
    hard[np.clip(np.rint(ys).astype(int), 0, h - 1), np.clip(np.rint(xs).astype(int), 0, w - 1)] = True
    width = rng.uniform(0.5, 2.0)
    hard = ndimage.binary_dilation(hard, iterations=int(width)) if width >= 1 else hard
    return np.clip(ndimage.gaussian_filter(hard.astype(np.float32), rng.uniform(0.3, 0.8)) * 1.6, 0, 1)


def _segment_points(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every segment pts[k] -> pts[k + 1] sampled at two points per pixel of its longer axis, in
    one pass: the same values as np.linspace per segment (start + i * step, the end point exact),
    without its per-call cost (0.76 -> 0.42 s of line_mask's time over 40 batches)."""
    a, b = pts[:-1], pts[1:]
    n = (np.abs(b - a).max(axis=1) * 2).astype(int) + 1          # points per segment
    seg = np.repeat(np.arange(len(n)), n)
    i = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)       # index within its segment
    step = (b - a) / np.maximum(n - 1, 1)[:, None]
    p = i[:, None] * step[seg] + a[seg]
    ends = n > 1                                                  # linspace(a, b, 1) is [a]
    p[(np.cumsum(n) - 1)[ends]] = b[ends]
    return p[:, 0], p[:, 1]


SHAPES = {"ellipse": ellipse_mask, "perlin": perlin_mask, "elastic": elastic_mask, "line": line_mask}
SHAPE_P = {"ellipse": 0.25, "perlin": 0.25, "elastic": 0.2, "line": 0.3}


def band_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A band along one side of the crop, 10-45 % deep, with a wavy inner boundary: the shape of
    an unevenly ground strip along a part's edge."""
    side = int(rng.integers(4))
    across, along = (h, w) if side < 2 else (w, h)
    cells = int(rng.integers(2, 7))
    knots = rng.uniform(-1, 1, cells + 1) * rng.uniform(0.02, 0.1) * across
    wave = ndimage.gaussian_filter1d(np.interp(np.arange(along), np.linspace(0, along - 1, cells + 1), knots),
                                     along / (3 * cells), mode="nearest")
    depth = rng.uniform(0.1, 0.45) * across + wave                       # per position along the side
    return _soften(_band(side, across, depth), rng)


def _band(side: int, across: int, depth: np.ndarray) -> np.ndarray:
    """The hard band along side 0-3 (top, bottom, left, right), `depth[i]` pixels deep at position
    i along that side; across: the crop's extent away from the side."""
    hard = np.arange(across, dtype=np.float32)[:, None] < depth[None, :]    # distance from the side < depth
    hard = hard if side % 2 == 0 else hard[::-1]
    return hard if side < 2 else hard.T


def large_blob_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A wobbly ellipse 15-35 % of the crop across: a region too large to judge by its texture
    alone (a fray's darker patch)."""
    return ellipse_mask(rng, h, w, radius=(0.15, 0.35))


LARGE_SHAPES = {"band": band_mask, "blob": large_blob_mask}


def seam_band_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A band along one side of the crop, 10-45 % deep, ending in a nearly straight, sharp seam:
    a strip reground differently from the rest of the part, whose texture is normal on either
    side and whose only tell is the step at the seam and the band's brightness or contrast."""
    side = int(rng.integers(4))
    across, along = (h, w) if side < 2 else (w, h)
    tilt = rng.uniform(-0.04, 0.04) * np.arange(along)                   # a few degrees off straight
    depth = rng.uniform(0.1, 0.45) * across + tilt - tilt.mean()
    return _soften(_band(side, across, depth), rng, sigma=(0.3, 1.2))


def regrind(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """The crop's own texture with another brightness, contrast and streak strength: detail across
    one axis is scaled (a box blur along the other axis separates it), so grinding streaks grow
    fainter or stronger, as where a part was ground with another pressure."""
    axis = int(rng.integers(2))
    size = [1, 1]
    size[axis] = 2 * int(rng.integers(2, 8)) + 1
    smooth = ndimage.uniform_filter(img, size=size, mode="nearest")
    m = float(img.mean())
    gain = math.exp(rng.uniform(-0.4, 0.4))
    streaks = rng.uniform(-0.7, 1.0)
    return (m + gain * (smooth - m) + gain * (1 + streaks) * (img - smooth)
            + rng.uniform(-0.1, 0.1)).astype(np.float32)

# ---------------------------------------------------------------- fills (what goes inside)


def foreign_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A procedural texture unlike the training data: noise, a grating, a checker or strokes."""
    kind = rng.choice(["noise", "grating", "checker", "strokes"])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "noise":
        t = value_noise(rng, h, w, int(rng.integers(2, 24)))
    elif kind == "grating":
        ang, period = rng.uniform(0, np.pi), rng.uniform(3, 24)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (math.cos(ang) * xx + math.sin(ang) * yy) / period)
    elif kind == "checker":
        p = rng.uniform(3, 16)
        t = ((np.floor(xx / p) + np.floor(yy / p)) % 2).astype(np.float32)
    else:
        t = np.zeros((h, w), np.float32)
        for _ in range(int(rng.integers(3, 10))):
            t = np.maximum(t, line_mask(rng, h, w))
    mean, contrast = rng.uniform(0, 1), rng.uniform(0.05, 0.6)
    return (mean + contrast * (t - 0.5)).astype(np.float32)


def transformed_patch(rng: np.random.Generator, other: np.ndarray, h: int, w: int) -> np.ndarray:
    """Another training image, rotated, rescaled, shifted and intensity-changed: real texture of
    the right kind, but in the wrong place, orientation or scale."""
    angle = rng.choice([0.0, 90.0, 180.0, 270.0]) + rng.uniform(-30, 30)
    scale = math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
    c = np.array(other.shape, np.float32) / 2
    rot = np.array([[math.cos(math.radians(angle)), -math.sin(math.radians(angle))],
                    [math.sin(math.radians(angle)), math.cos(math.radians(angle))]], np.float32) / scale
    shift = rng.uniform(-0.5, 0.5, 2) * np.array(other.shape)
    offset = c + shift - rot @ np.array([h / 2, w / 2], np.float32)
    patch = ndimage.affine_transform(other, rot, offset=offset, output_shape=(h, w), order=1, mode="reflect")
    gain, bias = rng.uniform(0.6, 1.4), rng.uniform(-0.15, 0.15)
    gamma = math.exp(rng.uniform(-0.4, 0.4))
    return np.clip(gain * np.clip(patch, 0, 1) ** gamma + bias, 0, 1).astype(np.float32)


def box_blur(img: np.ndarray, radius: int) -> np.ndarray:
    """Separable box blur with replicated borders."""
    return ndimage.uniform_filter(img.astype(np.float32), size=2 * radius + 1, mode="nearest")


def fill(rng: np.random.Generator, img: np.ndarray, other: np.ndarray) -> np.ndarray:
    h, w = img.shape
    kind = rng.choice(["patch", "texture", "blur", "offset", "misaligned"], p=[0.35, 0.25, 0.15, 0.15, 0.10])
    if kind == "patch":
        return transformed_patch(rng, other, h, w)
    if kind == "texture":
        return foreign_texture(rng, h, w)
    if kind == "blur":
        return box_blur(img, int(rng.integers(2, 12)))
    if kind == "offset":
        return img + rng.choice([-1, 1]) * rng.uniform(0.05, 0.4)
    return np.roll(img, (int(rng.integers(3, max(4, h - 3))), int(rng.integers(3, max(4, w - 3)))), axis=(0, 1))


def corrupt(rng: np.random.Generator, clean: np.ndarray,
            other: np.ndarray, large: float = 0.0, seam: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(corrupted, mask): 1-4 shapes filled with foreign content, then light Gaussian noise over
    the whole image. The mask (max of the shapes) lets the loss weight the repaired regions.
    large: probability that a region is a large one (LARGE_SHAPES); seam: that it is a seam band
    filled by `regrind`. At 0 neither draws a random number, so earlier runs reproduce."""
    h, w = clean.shape
    img = clean.copy()
    mask = np.zeros_like(clean)
    names = list(SHAPES)
    for _ in range(int(rng.integers(1, 5))):
        if seam > 0 and rng.uniform() < seam:
            m = seam_band_mask(rng, h, w)
            img = img * (1 - m) + regrind(rng, img) * m
            mask = np.maximum(mask, m)
            continue
        if large > 0 and rng.uniform() < large:
            m = LARGE_SHAPES[rng.choice(list(LARGE_SHAPES))](rng, h, w)
        else:
            m = SHAPES[rng.choice(names, p=[SHAPE_P[n] for n in names])](rng, h, w)
        img = img * (1 - m) + fill(rng, img, other) * m
        mask = np.maximum(mask, m)
    img = img + rng.normal(0, rng.uniform(0, 0.015), img.shape).astype(np.float32)
    return np.clip(img, 0, 1).astype(np.float32), mask.astype(np.float32)
