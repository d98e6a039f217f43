"""Metrics on hand-made cases whose answers are known, and against brute-force definitions."""

import numpy as np
import pytest

from edgeinspect import metrics as M


def test_auroc_extremes_and_ties():
    labels = [0, 0, 0, 1, 1]
    assert M.auroc([0.1, 0.2, 0.3, 0.8, 0.9], labels) == 1.0
    assert M.auroc([0.9, 0.8, 0.7, 0.2, 0.1], labels) == 0.0
    assert M.auroc([0.5] * 5, labels) == 0.5


def test_auroc_counts_ties_half():
    # Pairs: 0.35 beats 0.1, loses to 0.4; 0.8 beats both -> 3 of 4.
    assert M.auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    # Pairs: 0.5 vs 0.5 tie (half), 0.9 beats 0.5 -> 1.5 of 2.
    assert M.auroc([0.5, 0.5, 0.9], [0, 1, 1]) == 0.75


def test_auroc_matches_pairwise_definition(rng):
    scores = rng.integers(0, 6, size=300).astype(float)  # many ties
    labels = rng.random(300) < 0.3
    pos, neg = scores[labels], scores[~labels]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert M.auroc(scores, labels) == pytest.approx(wins / (len(pos) * len(neg)), abs=1e-12)


def test_auroc_needs_both_classes():
    with pytest.raises(ValueError):
        M.auroc([0.1, 0.2], [1, 1])


def test_roc_curve_area_is_the_auroc(rng):
    scores = rng.integers(0, 8, size=200).astype(float)
    labels = rng.random(200) < 0.4
    fpr, tpr = M.roc_curve(scores, labels)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    area = np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2)
    assert area == pytest.approx(M.auroc(scores, labels), abs=1e-12)


def test_best_f1_perfect_split():
    p = M.best_f1([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1])
    assert (p.f1, p.precision, p.recall) == (1.0, 1.0, 1.0)
    assert p.threshold == pytest.approx(0.25)


def test_best_f1_toy_set():
    # Calling the top 4 (threshold between 0.3 and 0.1): P 3/4, R 1, F1 6/7 beats top 2 (F1 0.8).
    p = M.best_f1([0.1, 0.3, 0.35, 0.5, 0.6], [0, 1, 0, 1, 1])
    assert p.f1 == pytest.approx(6 / 7)
    assert (p.precision, p.recall) == (0.75, 1.0)
    assert p.threshold == pytest.approx(0.2)


def test_eight_connectivity_joins_diagonal_pixels():
    _, count = M.label_regions(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]]))
    assert count == 1
    _, count = M.label_regions(np.array([[1, 0, 1], [0, 0, 0], [1, 0, 0]]))
    assert count == 3


def test_pro_tiny_case_by_hand():
    """Ten defect-free pixels 0.0 .. 0.9 and two regions: R1 = {0.9, 0.0}, R2 = {0.7}.

    Thresholds (value > t counts as defect) at the negatives' values:
      t = 0.9: FPR 0.0, R1 0,   R2 0 -> PRO 0
      t = 0.8: FPR 0.1, R1 1/2, R2 0 -> PRO 0.25
      t = 0.7: FPR 0.2, R1 1/2, R2 0 -> PRO 0.25
      t = 0.6: FPR 0.3, R1 1/2, R2 1 -> PRO 0.75
    Trapezoids to FPR 0.3: 0.1 * 0.125 + 0.1 * 0.25 + 0.1 * 0.5 = 0.0875, / 0.3 = 0.2916...
    To FPR 0.25 (PRO interpolated to 0.5 there): 0.0125 + 0.025 + 0.05 * 0.375 = 0.05625, / 0.25 = 0.225.
    """
    # The negatives fill a defect-free image; each region is a whole (all-defect) image, so no
    # other pixel counts as a negative. R1's two pixels are adjacent: one region.
    maps = [np.arange(10).reshape(1, 10) / 10, np.array([[0.9], [0.0]]), np.array([[0.7]])]
    masks = [np.zeros((1, 10)), np.ones((2, 1)), np.ones((1, 1))]
    assert M.pro_curve(maps, masks).regions == 2
    assert M.pro_auc(maps, masks, max_fpr=0.3) == pytest.approx(0.0875 / 0.3, abs=1e-12)
    assert M.pro_auc(maps, masks, max_fpr=0.25) == pytest.approx(0.225, abs=1e-12)


def test_pro_is_one_when_every_region_is_above_every_clean_pixel(rng):
    clean = rng.random((20, 20)) * 0.5
    mask = np.zeros((20, 20))
    mask[2:5, 2:5] = 1
    mask[10:12, 14:18] = 1
    defect = np.where(mask > 0, 0.9, rng.random((20, 20)) * 0.5)
    assert M.pro_auc([clean, defect], [np.zeros((20, 20)), mask]) == pytest.approx(1.0)


def exact_pro(maps, masks, max_fpr=0.3):
    """The step curve at every distinct value (as MVTec's own evaluation code builds it)."""
    vals, neg_w, pro_w = [], [], []
    regions = sum(M.label_regions(g)[1] for g in masks)
    n_neg = sum(int((g == 0).sum()) for g in masks)
    for m, g in zip(maps, masks):
        labels, count = M.label_regions(g)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        vals.append(m.ravel())
        neg_w.append((labels.ravel() == 0) / n_neg)
        pro_w.append(np.where(labels.ravel() > 0, 1.0 / (regions * sizes[labels.ravel()]), 0.0))
    v, nw, pw = map(np.concatenate, (vals, neg_w, pro_w))
    order = np.argsort(-v, kind="mergesort")
    v, fpr, pro = v[order], np.cumsum(nw[order]), np.cumsum(pw[order])
    last = np.r_[v[1:] != v[:-1], True]
    fpr, pro = np.r_[0.0, fpr[last]], np.r_[0.0, pro[last]]
    return M._trapezoid_to(fpr, pro, max_fpr) / max_fpr


def test_pro_matches_the_exact_step_curve_on_noisy_maps(rng):
    maps, masks = [], []
    for _ in range(4):
        mask = np.zeros((40, 40))
        y, x = rng.integers(0, 30, size=2)
        mask[y:y + rng.integers(2, 10), x:x + rng.integers(2, 10)] = 1
        maps.append(rng.random((40, 40)) + 0.7 * mask * rng.random((40, 40)))
        masks.append(mask)
    maps.append(rng.random((40, 40)))
    masks.append(np.zeros((40, 40)))
    got = M.pro_auc(maps, masks)
    assert 0.3 < got < 0.95
    assert got == pytest.approx(exact_pro(maps, masks), abs=2e-3)


def test_pixel_sample_is_repeatable():
    a = M.pixel_sample(10000, 0.1, seed=3)
    assert np.array_equal(a, M.pixel_sample(10000, 0.1, seed=3))
    assert 800 < len(a) < 1200
    assert M.pixel_sample(10, 1.0, seed=0) == slice(None)
