"""Procedural grayscale "woven industrial fabric on brushed metal" texture, and synthetic defects.

Every image is a pure function of (split, index): the random generator is seeded with
[SPLIT_SEEDS[split], index], so training, calibration and the shipped samples never share an image.
Images are quantised to 8 bits like a camera frame (and like the PNG samples).
"""

from __future__ import annotations

import math

import numpy as np

SIZE = 256
SPLIT_SEEDS = {"train": 1001, "calib": 2002, "samples": 3003, "test": 4004}
DEFECT_KINDS = ("scratch", "spot", "smudge", "crack")


def rng_for(split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([SPLIT_SEEDS[split], index])


def _smooth_noise_1d(rng: np.random.Generator, n: int, corr: float) -> np.ndarray:
    """Zero-mean unit-ish noise along one axis, correlated over about `corr` samples."""
    raw = rng.standard_normal(n + 64)
    k = np.exp(-0.5 * (np.arange(-16, 17) / max(corr, 0.5)) ** 2)
    sm = np.convolve(raw, k / np.sqrt((k * k).sum()), mode="same")[32:32 + n]
    return sm


def clean_texture(rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """A basket weave (threads over/under in a checkerboard of cells) with random period, phase
    and a slight rotation, brushed streaks along the warp, and a smooth lighting gradient."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    theta = math.radians(rng.uniform(-4.0, 4.0))
    period = rng.uniform(11.0, 14.0)
    u = (math.cos(theta) * xx + math.sin(theta) * yy) / period + rng.uniform(0, 2)
    v = (-math.sin(theta) * xx + math.cos(theta) * yy) / period + rng.uniform(0, 2)
    fu, fv = u - np.floor(u), v - np.floor(v)
    # Thread cross-section across its width, and the bulge along its length within one cell.
    across_h = np.sin(np.pi * fv) ** 0.7
    across_v = np.sin(np.pi * fu) ** 0.7
    bulge_h = 0.75 + 0.25 * np.sin(np.pi * fu)
    bulge_v = 0.75 + 0.25 * np.sin(np.pi * fv)
    over = ((np.floor(u) + np.floor(v)) % 2) == 0
    weave = np.where(over, across_h * bulge_h, across_v * bulge_v)

    # Brushed streaks: 1-D noise across the warp direction, smeared along it.
    coord = np.clip(np.rint(v * period).astype(int) + 2 * size, 0, 5 * size - 1)
    streak = _smooth_noise_1d(rng, 5 * size, corr=1.2)[coord]

    base = rng.uniform(0.30, 0.42)
    contrast = rng.uniform(0.28, 0.36)
    gx, gy = rng.uniform(-0.08, 0.08, size=2)
    light = gx * (xx / size - 0.5) + gy * (yy / size - 0.5)
    img = base + contrast * weave + 0.025 * streak + light
    return img


def add_sensor_noise(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    sigma = rng.uniform(0.006, 0.014)
    noisy = img + rng.normal(0.0, sigma, size=img.shape)
    return np.clip(np.rint(np.clip(noisy, 0, 1) * 255.0) / 255.0, 0.0, 1.0)


def good_image(split: str, index: int, size: int = SIZE) -> np.ndarray:
    """A defect-free image [H, W] float64 in [0, 1] (8-bit quantised)."""
    rng = rng_for(split, index)
    return add_sensor_noise(rng, clean_texture(rng, size))


# ---------------------------------------------------------------- defects

def _curve_distance(points: np.ndarray, size: int) -> np.ndarray:
    """Distance of every pixel centre to a polyline."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    best = np.full((size, size), np.inf)
    for (y0, x0), (y1, x1) in zip(points[:-1], points[1:]):
        dy, dx = y1 - y0, x1 - x0
        seg = dy * dy + dx * dx
        t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / max(seg, 1e-9), 0, 1)
        d = np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx))
        best = np.minimum(best, d)
    return best


def _line_mask(dist: np.ndarray, half_width: float) -> np.ndarray:
    """Anti-aliased band of the given half width (1 inside, linear 1-px edge)."""
    return np.clip(half_width + 0.5 - dist, 0.0, 1.0)


def _scratch(rng, img):
    size = img.shape[0]
    p0 = rng.uniform(0.2, 0.8, 2) * size
    ang = rng.uniform(0, np.pi)
    length = rng.uniform(60, 110)
    d = np.array([np.sin(ang), np.cos(ang)])
    bend = rng.uniform(-12, 12) * np.array([d[1], -d[0]])
    t = np.linspace(-0.5, 0.5, 24)[:, None]
    pts = p0 + t * length * d + (1 - 4 * t * t) * bend
    m = _line_mask(_curve_distance(pts, size), rng.uniform(0.9, 1.4))
    return img - 0.28 * m, m


def _spot(rng, img):
    size = img.shape[0]
    cy, cx = rng.uniform(0.25, 0.75, 2) * size
    r = rng.uniform(5, 9)
    yy, xx = np.mgrid[0:size, 0:size]
    m = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    return img + 0.35 * m, (m > 0.1).astype(np.float64)


def _smudge(rng, img):
    """The weave is rubbed away: a soft ellipse where the image is a heavy blur of itself."""
    size = img.shape[0]
    cy, cx = rng.uniform(0.3, 0.7, 2) * size
    ry, rx = rng.uniform(14, 24, 2)
    yy, xx = np.mgrid[0:size, 0:size]
    rr = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
    m = np.clip((1.15 - rr) / 0.3, 0, 1)
    k = np.ones(25) / 25
    blurred = np.apply_along_axis(lambda r: np.convolve(np.pad(r, 12, mode="edge"), k, "valid"), 1, img)
    blurred = np.apply_along_axis(lambda r: np.convolve(np.pad(r, 12, mode="edge"), k, "valid"), 0, blurred)
    return img * (1 - m) + blurred * m, (m > 0.5).astype(np.float64)


def _crack(rng, img):
    """A jagged random walk, thin and dark."""
    size = img.shape[0]
    pos = rng.uniform(0.3, 0.7, 2) * size
    main_heading = heading = rng.uniform(0, 2 * np.pi)
    pts = [pos.copy()]
    for _ in range(int(rng.integers(14, 22))):
        # Jagged but going somewhere: random turns, pulled back towards the main direction.
        heading += rng.normal(0, 0.45) + 0.35 * (main_heading - heading)
        pos = pos + rng.uniform(3, 6) * np.array([np.sin(heading), np.cos(heading)])
        pts.append(np.clip(pos, 2, size - 3))
    m = _line_mask(_curve_distance(np.array(pts), size), rng.uniform(0.6, 0.9))
    return img - 0.3 * m, m


_DEFECTS = {"scratch": _scratch, "spot": _spot, "smudge": _smudge, "crack": _crack}


def defective_image(split: str, index: int, kind: str, size: int = SIZE):
    """(image, mask): a texture with one defect of `kind`, 8-bit quantised, and its 0/1 mask."""
    rng = rng_for(split, index)
    clean = clean_texture(rng, size)
    img, mask = _DEFECTS[kind](rng, clean)
    return add_sensor_noise(rng, img), mask
