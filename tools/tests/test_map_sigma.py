import numpy as np

from edgeinspect.map_sigma import CANDIDATES, corrupted_set, pixel_auroc_by_sigma


def _square_scene(rng, size=96, side=40, ring=2):
    """A large defect whose error lights only its boundary (what a reconstruction error does on a
    region of locally normal texture), over background noise."""
    mask = np.zeros((size, size), bool)
    top = int(rng.integers(4, size - side - 4))
    left = int(rng.integers(4, size - side - 4))
    mask[top:top + side, left:left + side] = True
    inner = np.zeros_like(mask)
    inner[top + ring:top + side - ring, left + ring:left + side - ring] = True
    error = rng.uniform(0, 0.2, mask.shape)
    error[mask & ~inner] += 1.0
    return error, mask


def _spot_scene(rng, size=96):
    """Small defects fully lit, over background noise: smoothing only spreads them."""
    mask = np.zeros((size, size), bool)
    for _ in range(4):
        y, x = rng.integers(6, size - 6, 2)
        mask[y - 1:y + 2, x - 1:x + 2] = True
    error = rng.uniform(0, 0.2, mask.shape)
    error[mask] += 1.0
    return error, mask


def test_wide_maps_win_when_only_the_boundary_errs():
    rng = np.random.default_rng(0)
    errors, masks = zip(*[_square_scene(rng) for _ in range(3)])
    table = pixel_auroc_by_sigma(list(errors), list(masks))
    assert list(table) == list(CANDIDATES)
    assert max(table, key=table.get) >= 6.0
    assert table[8.0] > table[1.0] + 0.1


def test_narrow_maps_win_for_small_fully_lit_defects():
    rng = np.random.default_rng(1)
    errors, masks = zip(*[_spot_scene(rng) for _ in range(3)])
    table = pixel_auroc_by_sigma(list(errors), list(masks))
    assert max(table, key=table.get) <= 2.0
    assert table[1.0] > table[16.0]


def test_corrupted_set_is_seeded_and_marks_what_it_changed():
    rng = np.random.default_rng(2)
    images = [rng.uniform(0.3, 0.7, (1, 64, 80)) for _ in range(3)]
    a, b = corrupted_set(images), corrupted_set(images)
    assert all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    for (dirty, mask), clean in zip(a, images):
        assert dirty.shape == clean.shape and mask.shape == clean.shape[1:] and mask.any()
        # Inside the mask the content is foreign; outside only the light noise touches it.
        assert np.abs(dirty[0] - clean[0])[mask].mean() > np.abs(dirty[0] - clean[0])[~mask].mean()
    assert not np.array_equal(corrupted_set(images, seed=1)[0][0], a[0][0])


def test_calibration_sets_the_map_threshold_by_the_score_rule_on_the_map_peaks():
    from edgeinspect.export import calibrate
    from edgeinspect.modelfile import Meta
    from edgeinspect.score import interior, smooth
    from test_score import scaling_model

    rng = np.random.default_rng(4)
    images = [rng.uniform(0, 1, (1, 30, 40)) for _ in range(5)]
    plain = scaling_model(0.5, sigma=1.0)
    calibrate(plain, images, 0.5, 2.0)
    assert "score.map_threshold" not in plain.metadata   # one map: the score's threshold serves it

    mf = scaling_model(0.5, sigma=1.0)
    mf.metadata["score.map_sigma"] = Meta.f32(5.0)
    mf.metadata["score.border"] = Meta.u32(3)
    threshold, scores = calibrate(mf, images, 0.5, 2.0)
    errors = [0.25 * (im[0] - 0.5) ** 2 for im in images]   # out = 0.5 n: see test_score
    peaks = [interior(smooth(e, 5.0), 3).max() for e in errors]
    assert np.isclose(mf.meta("score.map_threshold"), 2.0 * np.median(peaks), rtol=1e-6)
    assert np.isclose(threshold, 2.0 * np.median([interior(smooth(e, 1.0), 3).max() for e in errors]), rtol=1e-6)
