"""Choosing `score.border` and `score.error_norm` from good images only (docs/model-format.md,
Scoring steps 4 and 6), with synthetic defects planted in held-out good images.

On some parts the frame edge is where good images err most: the tile's rim, vignetting, the
fixture. The network cannot predict what lies past the edge, so a max-reduced score would measure
the rim rather than the part. Leaving a band out of the score lowers every good score, but it also
hides the defects that lie in the band, so good images alone cannot say how wide it should be.

The rule (gray models): plant small synthetic defects in the held-out good images (one training
shape and fill, `corrupt.py`, in a 32-96 px window (at most the image's side) placed anywhere,
edges included; COPIES per image, a fixed seed), score clean and planted images, and take the
border whose image AUROC (clean against planted) is best; of the borders within TOLERANCE of the
best, the narrowest, since the estimate's noise is larger than that and a narrower band hides
fewer real defects. On magnetic tiles, whose
good images peak on the rim, it picks 13 px where the earlier profile rule (below) picked 7, and the
test set's image AUROC rose from 0.757 to 0.810 (weights/README.md; 18 px with the error norm).

The same planted set decides `score.error_norm` first (the border is then chosen on its maps):
variance when dividing each image's error by its pixel variance raises the best AUROC over all
borders by more than TOLERANCE. Magnetic tiles (six lightings) and grid both gain 0.013-0.016.

Colour models (the training corruptions are gray-only) get no error norm and keep the earlier
border rule: profile the smoothed maps of good images by distance to the nearest edge; the border
is the smallest distance from which on every profile value is at most FACTOR times the interior
mean.
"""

from __future__ import annotations

import numpy as np

from . import metrics
from .corrupt import SHAPE_P, SHAPES, fill
from .score import ERROR_NORMS, VARIANCE_FLOOR, Scorer, interior, smooth

FACTOR = 3.0      # colour rule: how much worse than the interior an edge band may be and still be scored
DEPTH = 32        # the widest border either rule picks; the interior is everything deeper than this
COPIES = 3        # planted images per held-out good image
WINDOW = (32, 96)  # side of the square a planted defect is drawn in, pixels (at most the image's side)
TOLERANCE = 0.005  # image AUROC a narrower border may give up against the best one
SEED = 1511       # fixed: the same file and images always choose the same border


def edge_distance(height: int, width: int) -> np.ndarray:
    """[H, W] distance of each pixel to the nearest image edge (0 on the edge)."""
    y = np.minimum(np.arange(height), np.arange(height)[::-1])
    x = np.minimum(np.arange(width), np.arange(width)[::-1])
    return np.minimum(y[:, None], x[None, :])


def planted_set(images: list[np.ndarray], seed: int = SEED, copies: int = COPIES) -> list[np.ndarray]:
    """COPIES [1, H, W] copies of each gray image, each with one training corruption in a random
    window; the fill's foreign content comes from the next image in the list."""
    out = []
    names = list(SHAPES)
    for i, image in enumerate(images):
        if image.shape[0] != 1:
            raise ValueError("border: the training corruptions are defined for gray images only")
        clean = image[0].astype(np.float32)
        other = images[(i + 1) % len(images)][0].astype(np.float32)
        h, w = clean.shape
        rng = np.random.default_rng([seed, i])
        for _ in range(copies):
            side = min(int(rng.integers(WINDOW[0], WINDOW[1] + 1)), h, w, *other.shape)
            y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            oy = int(rng.integers(0, other.shape[0] - side + 1))
            ox = int(rng.integers(0, other.shape[1] - side + 1))
            window = clean[y:y + side, x:x + side]
            shape = SHAPES[rng.choice(names, p=[SHAPE_P[n] for n in names])](rng, side, side)
            filled = fill(rng, window, other[oy:oy + side, ox:ox + side])
            dirty = clean.copy()
            dirty[y:y + side, x:x + side] = np.clip(window * (1 - shape) + filled * shape, 0, 1)
            out.append(dirty[None].astype(np.float64))
    return out


def auroc_by_border(clean_maps: list[np.ndarray], planted_maps: list[np.ndarray],
                    depth: int = DEPTH) -> np.ndarray:
    """Image AUROC of the max-reduced score, clean against planted maps, for borders 0..depth."""
    labels = np.r_[np.zeros(len(clean_maps)), np.ones(len(planted_maps))]
    maps = clean_maps + planted_maps
    return np.array([metrics.auroc(np.array([interior(m, b).max() for m in maps]), labels)
                     for b in range(depth + 1)])


def choose_by_planted(table: np.ndarray, tolerance: float = TOLERANCE) -> int:
    """The narrowest border whose AUROC is within `tolerance` of the best."""
    return int(np.nonzero(table >= table.max() - tolerance)[0][0])


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
    inner = inner_sum / inner_count if inner_count else float("nan")
    return sums / np.maximum(counts, 1), inner


def choose_border(maps: list[np.ndarray], factor: float = FACTOR) -> tuple[int, np.ndarray, float]:
    """Colour rule: (border, profile, interior mean) for the smoothed maps of good images.
    Images too small to have an interior get 0: there is nothing to compare the edge with."""
    profile, inner = error_profile(maps)
    if not np.isfinite(inner):
        return 0, profile, inner
    too_high = np.nonzero(profile > factor * inner)[0]
    border = 0 if len(too_high) == 0 else int(too_high[-1]) + 1
    return border, profile, inner


class PlantedErrors:
    """The network's raw error maps and float64 pixel variances (what the runtime divides by) of the
    held-out good images and of their planted copies. Both rules read them, so the network runs
    once per image for both (it used to run twice: 20 s of a magnetic-tile export)."""

    def __init__(self, mf, images: list[np.ndarray]):
        scorer = Scorer(mf)
        scorer.error_norm = "none"                  # raw errors; each candidate divides them itself
        images = [scorer.prepare(im) for im in images]   # at the model's input size
        self.sigma = scorer.sigma
        self.gray = images[0].shape[0] == 1
        run = lambda ims: [(scorer.score_input(im).error, float(im.astype(np.float64).var()))  # noqa: E731
                           for im in ims]
        self.clean, self.planted = (run(images), run(planted_set(images))) if self.gray else ([], [])

    def maps(self, norm: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(clean, planted) maps the score reduces, with error norm `norm`: Scorer's `scored`."""
        divide = (lambda v: max(v, VARIANCE_FLOOR)) if norm == "variance" else (lambda v: 1.0)  # noqa: E731
        smoothed = lambda pairs: [smooth(e / divide(v), self.sigma) for e, v in pairs]  # noqa: E731
        return smoothed(self.clean), smoothed(self.planted)


def choose_error_norm(mf, images: list[np.ndarray], errors: PlantedErrors | None = None) -> tuple[str, str]:
    """("none" or "variance", one line saying why) for model file `mf` on held-out good gray `images`
    (`errors`: their PlantedErrors, if already computed): variance when its best planted-defect
    AUROC (any border) beats none's by more than TOLERANCE, so that the simpler score stays unless
    the planted defects say otherwise."""
    errors = errors or PlantedErrors(mf, images)
    if not errors.gray:
        return "none", "colour model: the training corruptions cannot plant defects in it"
    best = {norm: float(auroc_by_border(*errors.maps(norm)).max()) for norm in ERROR_NORMS}
    chosen = "variance" if best["variance"] > best["none"] + TOLERANCE else "none"
    return chosen, (f"best image AUROC over borders, {len(errors.clean)} held-out good against "
                    f"{len(errors.planted)} planted: " + ", ".join(f"{n} {a:.4f}" for n, a in best.items()))


def choose_for_model(mf, images: list[np.ndarray], errors: PlantedErrors | None = None) -> tuple[int, str]:
    """(border, one line saying why) for model file `mf` on held-out good `images` ([C, H, W])
    (`errors`: their PlantedErrors, if already computed; `mf`'s own error norm applies)."""
    scorer = Scorer(mf)
    if scorer.channels != 1:
        clean = [scorer.score_pixels(im).scored for im in images]
        chosen, profile, inner = choose_border(clean)
        return chosen, (f"colour model: good-image maps by distance to the edge, / interior mean {inner:.3g}: "
                        + " ".join(f"{p / inner:.1f}" for p in profile[:chosen + 2]))
    errors = errors or PlantedErrors(mf, images)
    clean, planted = errors.maps(scorer.error_norm)
    table = auroc_by_border(clean, planted)
    chosen = choose_by_planted(table)
    return chosen, (f"image AUROC of {len(clean)} held-out good images against {len(planted)} with a planted "
                    f"training corruption, by border: " + " ".join(f"{b}: {a:.3f}" for b, a in enumerate(table)
                                                                   if b % 4 == 0 or b == chosen))
