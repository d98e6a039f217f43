import numpy as np

from edgeinspect import border as B
from edgeinspect.border import DEPTH, auroc_by_border, choose_border, choose_by_planted, edge_distance, planted_set


def test_edge_distance():
    d = edge_distance(4, 5)
    assert d.tolist() == [[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]]


def _rim_maps(rng, count, rim, spot=None):
    """Good-image-like maps: noise, a rim `rim` px deep at 5x; `spot` (y, x, value) adds a peak."""
    maps = []
    for i in range(count):
        e = rng.uniform(0.9, 1.1, (120, 160))
        e[edge_distance(120, 160) < rim] *= 5.0
        if spot is not None:
            y, x, value = spot
            e[y - 2:y + 3, x - 2:x + 3] = value
        maps.append(e)
    return maps


def test_planted_rule_cuts_a_rim_that_outshines_interior_defects():
    rng = np.random.default_rng(0)
    clean = _rim_maps(rng, 10, 6)
    planted = _rim_maps(rng, 30, 6, spot=(60, 80, 3.0))   # defects weaker than the rim
    table = auroc_by_border(clean, planted)
    assert table.shape == (DEPTH + 1,)
    assert table[:6].max() < 0.6 and table[6:60].min() == 1.0
    assert choose_by_planted(table) == 6


def test_planted_rule_keeps_the_rim_when_defects_outshine_it_there():
    rng = np.random.default_rng(1)
    clean = _rim_maps(rng, 10, 6)
    planted = _rim_maps(rng, 30, 6, spot=(2, 80, 9.0))    # on the edge, brighter than the rim
    assert choose_by_planted(auroc_by_border(clean, planted)) == 0


def test_narrowest_border_within_tolerance_of_the_best():
    table = np.array([0.60, 0.70, 0.716, 0.72, 0.721, 0.70])
    assert choose_by_planted(table, tolerance=0.005) == 2
    assert choose_by_planted(table, tolerance=0.0) == 4


def test_planted_set_changes_one_window_per_copy_and_is_reproducible():
    rng = np.random.default_rng(2)
    images = [rng.uniform(0.3, 0.7, (1, 140, 200)), rng.uniform(0.3, 0.7, (1, 50, 60))]
    before = [im.copy() for im in images]
    first, second = planted_set(images), planted_set(images)
    assert len(first) == B.COPIES * len(images)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert all(np.array_equal(a, b) for a, b in zip(images, before))      # inputs untouched
    for k, dirty in enumerate(first):
        clean = images[k // B.COPIES]
        assert dirty.shape == clean.shape and dirty.min() >= 0 and dirty.max() <= 1
        rows, cols = np.nonzero(np.abs(dirty[0] - clean[0]) > 1e-6)
        assert len(rows) > 0
        assert rows.max() - rows.min() < B.WINDOW[1] and cols.max() - cols.min() < B.WINDOW[1]


def test_colour_rule_picks_the_band_where_good_images_err_more_than_factor_times_the_interior():
    rng = np.random.default_rng(0)
    maps = []
    for h, w in [(150, 200), (180, 130)]:
        e = rng.uniform(0.9, 1.1, (h, w))
        d = edge_distance(h, w)
        e[d < 6] *= 5.0      # a rim 6 pixels deep, much worse than the interior
        e[d == 6] *= 2.5     # just inside it: worse, but within the factor of 3
        maps.append(e)
    border, profile, interior = choose_border(maps)
    assert border == 6
    assert abs(interior - 1.0) < 0.01 and profile[0] > 4.5


def test_colour_rule_no_edge_effect_or_no_interior_gives_zero():
    rng = np.random.default_rng(1)
    assert choose_border([rng.uniform(0.5, 1.5, (100, 100))])[0] == 0
    small = np.full((2 * DEPTH, 300), 3.0)
    small[0] = 100.0
    border, _, interior = choose_border([small])
    assert border == 0 and np.isnan(interior)


def test_both_rules_read_one_run_of_the_network(monkeypatch):
    """PlantedErrors' maps are the maps the runtime's score reduces (Scorer.scored) under either error
    norm, and choosing the norm and then the border runs the network only while building them."""
    from pathlib import Path

    from edgeinspect import synth
    from edgeinspect.modelfile import read
    from edgeinspect.score import Scorer

    mf = read(str(Path(__file__).resolve().parents[2] / "weights" / "synthetic-texture.eim"))
    images = [synth.good_image("calib", i, 96)[None].astype(np.float32) for i in range(3)]
    errors = B.PlantedErrors(mf, images)
    assert len(errors.clean) == 3 and len(errors.planted) == 3 * B.COPIES
    planted = B.planted_set(images)
    for norm in ("none", "variance"):
        scorer = Scorer(mf)
        scorer.error_norm = norm
        clean_maps, planted_maps = errors.maps(norm)
        for im, m in zip(images + planted, clean_maps + planted_maps):
            assert np.allclose(m, scorer.score_input(im).scored, rtol=1e-9, atol=0)
    runs = []
    real = Scorer.reconstruct
    monkeypatch.setattr(Scorer, "reconstruct", lambda self, px, **kw: runs.append(1) or real(self, px, **kw))
    norm, why = B.choose_error_norm(mf, images, errors)
    assert norm in ("none", "variance") and "3 held-out good against 9 planted" in why
    border, why = B.choose_for_model(mf, images, errors)
    assert 0 <= border <= DEPTH and "by border" in why
    assert runs == []
