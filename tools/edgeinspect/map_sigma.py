"""Choosing `score.map_sigma` from good images only (docs/model-format.md, Scoring step 5).

One smoothing cannot serve both outputs well. The image score wants a narrow Gaussian: small
defects keep their peak. The anomaly map wants a wider one: a reconstruction error lights a large
defect mostly along its boundary, and smoothing fills the region in. On both shipped models the
test images showed it (weights/README.md): a wider map sigma raised pixel AUROC and PRO while it
lowered image AUROC. So the file keeps two sigmas, and this module picks the map's one without
looking at a single defect image.

The rule: corrupt each held-out good image with the training corruptions (`corrupt.py`, the same
shapes and fills the network learned to repair, a fixed seed), score it, and take the candidate
sigma whose maps have the highest pixel AUROC against the corruption masks (mask > 0.5), pooled
over all images. The network's error is computed once per image; only the smoothing varies.
"""

from __future__ import annotations

import numpy as np

from . import metrics
from .corrupt import corrupt
from .score import Scorer, smooth

CANDIDATES = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
SEED = 2206  # fixed: the same file and images always choose the same sigma


def corrupted_set(images: list[np.ndarray], seed: int = SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    """(corrupted [1, H, W] pixels, bool [H, W] mask) per gray image; the foreign patches come from
    the next image in the list, as training takes them from another training image."""
    out = []
    for i, image in enumerate(images):
        if image.shape[0] != 1:
            raise ValueError("map sigma: the training corruptions are defined for gray images only")
        rng = np.random.default_rng([seed, i])
        other = images[(i + 1) % len(images)][0].astype(np.float32)
        dirty, mask = corrupt(rng, image[0].astype(np.float32), other)
        out.append((dirty[None].astype(np.float64), mask > 0.5))
    return out


def pixel_auroc_by_sigma(errors: list[np.ndarray], masks: list[np.ndarray],
                         candidates=CANDIDATES) -> dict[float, float]:
    """Pooled pixel AUROC of the smoothed error maps, per candidate sigma."""
    labels = np.concatenate([m.ravel() for m in masks])
    return {s: metrics.auroc(np.concatenate([smooth(e, s).ravel() for e in errors]), labels)
            for s in candidates}


def choose_map_sigma(mf, images: list[np.ndarray], candidates=CANDIDATES,
                     seed: int = SEED) -> tuple[float, dict[float, float]]:
    """(chosen sigma, pixel AUROC per candidate) for model file `mf` on held-out good `images`."""
    scorer = Scorer(mf)
    pairs = corrupted_set([scorer.prepare(im) for im in images], seed)  # at the model's input size
    errors = [scorer.score_input(dirty).error for dirty, _ in pairs]
    table = pixel_auroc_by_sigma(errors, [m for _, m in pairs], candidates)
    best = max(table, key=lambda s: (table[s], -s))  # ties: the narrower map
    return best, table
