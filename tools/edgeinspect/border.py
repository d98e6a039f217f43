"""Choosing `score.border` from good images only (docs/model-format.md, Scoring step 6).

On some parts the frame edge is where good images err most: the tile's rim, vignetting, the
fixture. The network cannot predict what lies past the edge, so a max-reduced score would measure
the rim rather than the part. The rule: profile the smoothed maps of held-out good images by
distance to the nearest edge; the border is the smallest distance from which on every profile value
is at most FACTOR times the interior mean. Parts without an edge effect get 0.

FACTOR 3 is a judgement, made on magnetic tiles' held-out good images (whose maps are 6x the
interior at the edge, 3x at 12 px, 1.4x at 27 px): a factor of 2 reached 27 px on 100-250 px wide
tiles and left little to score.
"""

from __future__ import annotations

import numpy as np

FACTOR = 3.0   # how much worse than the interior an edge band may be and still be scored
DEPTH = 32     # the widest border the rule picks; the interior is everything deeper than this


def edge_distance(height: int, width: int) -> np.ndarray:
    """[H, W] distance of each pixel to the nearest image edge (0 on the edge)."""
    y = np.minimum(np.arange(height), np.arange(height)[::-1])
    x = np.minimum(np.arange(width), np.arange(width)[::-1])
    return np.minimum(y[:, None], x[None, :])


def error_profile(maps: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """(mean value at distance 0..DEPTH-1, mean value deeper than that) over all maps; the interior
    mean is NaN when no map is larger than 2 x DEPTH in both axes."""
    sums, counts = np.zeros(DEPTH), np.zeros(DEPTH)
    inner_sum, inner_count = 0.0, 0
    for e in maps:
        d = edge_distance(*e.shape)
        band = d < DEPTH
        sums += np.bincount(d[band], weights=e[band], minlength=DEPTH)[:DEPTH]
        counts += np.bincount(d[band], minlength=DEPTH)[:DEPTH]
        inner_sum += float(e[~band].sum())
        inner_count += int((~band).sum())
    interior = inner_sum / inner_count if inner_count else float("nan")
    return sums / np.maximum(counts, 1), interior


def choose_border(maps: list[np.ndarray], factor: float = FACTOR) -> tuple[int, np.ndarray, float]:
    """(border, profile, interior mean) for the smoothed maps of good images.
    Images too small to have an interior get 0: there is nothing to compare the edge with."""
    profile, interior = error_profile(maps)
    if not np.isfinite(interior):
        return 0, profile, interior
    too_high = np.nonzero(profile > factor * interior)[0]
    border = 0 if len(too_high) == 0 else int(too_high[-1]) + 1
    return border, profile, interior


def choose_for_model(mf, images: list[np.ndarray]) -> tuple[int, np.ndarray, float]:
    """choose_border on the smoothed maps `mf` makes of `images` ([C, H, W] pixels)."""
    from .score import Scorer
    scorer = Scorer(mf)
    return choose_border([scorer.score_pixels(im).scored for im in images])
