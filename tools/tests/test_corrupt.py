import numpy as np
import pytest
from scipy import ndimage

from edgeinspect import corrupt as C
from edgeinspect import data as D
from edgeinspect import synth


@pytest.mark.parametrize("shape", sorted(C.SHAPES))
def test_every_shape_is_a_soft_local_region(shape):
    for seed in range(20):
        rng = np.random.default_rng([7, seed])
        m = C.SHAPES[shape](rng, 96, 80)
        assert m.shape == (96, 80) and m.dtype == np.float32
        assert 0 <= m.min() and m.max() <= 1
        assert m.max() > 0.5, f"{shape} seed {seed}: empty"
        assert (m > 0.5).mean() < 0.5, f"{shape} seed {seed}: not local"


def test_fills_keep_shape_and_range():
    clean = synth.good_image("train", 0)[:64, :96].astype(np.float32)
    other = synth.good_image("train", 1).astype(np.float32)
    rng = np.random.default_rng(3)
    for _ in range(30):
        f = C.fill(rng, clean, other)
        assert f.shape == clean.shape
        assert np.isfinite(f).all()
    patch = C.transformed_patch(rng, other, 40, 50)
    assert patch.shape == (40, 50) and 0 <= patch.min() and patch.max() <= 1


def test_corruption_is_local_plus_noise():
    clean = synth.good_image("train", 0)[:64, :64].astype(np.float32)
    other = synth.good_image("train", 1).astype(np.float32)
    for seed in range(10):
        dirty, mask = C.corrupt(np.random.default_rng(seed), clean, other)
        diff = np.abs(dirty - clean)
        assert dirty.shape == clean.shape and mask.shape == clean.shape
        assert 0 <= mask.min() and mask.max() <= 1 and mask.max() > 0.5
        # Outside the shapes only the light noise differs.
        assert diff[mask == 0].max() < 0.1


def test_plain_batches_are_the_identity_task():
    pool = [synth.good_image("train", i).astype(np.float32) for i in range(3)]
    dirty, clean, mask = D.make_batch(np.random.default_rng(0), pool, 4, 64, corrupted=False)
    assert np.array_equal(dirty, clean) and not mask.any()
    dirty, clean, mask = D.make_batch(np.random.default_rng(0), pool, 4, 64)
    assert not np.array_equal(dirty, clean) and mask.max() > 0.5


def test_border_crops_touch_an_edge():
    img = np.arange(100 * 120, dtype=np.float32).reshape(100, 120)
    rng = np.random.default_rng(1)
    for _ in range(20):
        crop = D.random_crop(rng, img, 32, flips=False, border=1.0)
        y, x = divmod(int(crop[0, 0]), 120)
        assert y in (0, 68) and x in (0, 88)


def band_sides(band: np.ndarray, seed: int) -> list[bool]:
    """Which sides (top, bottom, left, right) the band lies along, checking that it is one, and
    that the band covers 5-60 % of the crop."""
    hard = band > 0.5
    edges = [hard[0].all(), hard[-1].all(), hard[:, 0].all(), hard[:, -1].all()]
    assert sum(edges) == 1, f"seed {seed}: a band lies along exactly one side"
    assert 0.05 < hard.mean() < 0.6, f"seed {seed}: {hard.mean():.2f} of the crop"
    return edges


def test_large_regions():
    for seed in range(20):
        band_sides(C.band_mask(np.random.default_rng([8, seed]), 96, 80), seed)
        blob = C.large_blob_mask(np.random.default_rng([9, seed]), 96, 80) > 0.5
        assert blob.mean() > 0.02, f"seed {seed}: larger than the ordinary shapes"
    clean = synth.good_image("train", 0)[:64, :64].astype(np.float32)
    other = synth.good_image("train", 1).astype(np.float32)
    # large=0 draws no extra random numbers: the corruption of earlier runs is unchanged. The sums
    # are those of the code before --large-regions existed (commit 08d6503); one extra draw would
    # change every shape and fill after it.
    before = {0: (2381.183275490999, 880.8555768970627), 1: (2391.075903713703, 377.1257467330269),
              2: (2303.0638993983157, 334.1794771763534)}
    for seed, sums in before.items():
        dirty, mask = C.corrupt(np.random.default_rng(seed), clean, other)
        assert (dirty.astype(np.float64).sum(), mask.astype(np.float64).sum()) == pytest.approx(sums, rel=1e-6)
    covered = [(C.corrupt(np.random.default_rng(s), clean, other, large=1.0)[1] > 0.5).mean() for s in range(10)]
    plain = [(C.corrupt(np.random.default_rng(s), clean, other)[1] > 0.5).mean() for s in range(10)]
    assert np.mean(covered) > 2 * np.mean(plain)


def test_seam_bands():
    for seed in range(20):
        band = C.seam_band_mask(np.random.default_rng([10, seed]), 96, 80)
        edges = band_sides(band, seed)
        # A sharp seam: the soft edge is a few pixels wide along the band's whole length.
        ramp = ((band > 0.05) & (band < 0.95)).sum(axis=1 if edges[2] or edges[3] else 0)
        assert ramp.max() <= 6, f"seed {seed}: seam {ramp.max()} px wide"
    clean = synth.good_image("train", 0)[:64, :64].astype(np.float32)
    other = synth.good_image("train", 1).astype(np.float32)
    for seed in range(10):
        rng = np.random.default_rng([11, seed])
        new = C.regrind(rng, clean)
        assert new.shape == clean.shape and np.isfinite(new).all()
        assert abs(float(new.mean() - clean.mean())) < 0.12, "brightness moves by about the offset at most"
        assert not np.allclose(new, clean, atol=0.01)
        # Every region is a seam band at seam=1: the input differs from the target inside the mask,
        # by the light noise elsewhere.
        dirty, mask = C.corrupt(np.random.default_rng(seed), clean, other, seam=1.0)
        assert np.abs(dirty - clean)[mask == 0].max() < 0.1
        assert (mask > 0.5).mean() > 0.05


def test_intensity_jitter():
    pool = [synth.good_image("train", i).astype(np.float32) for i in range(3)]
    # jitter=0 draws no extra random numbers: these sums are the batch of the code before
    # --intensity-jitter existed (commit 057fa58).
    dirty, clean, mask = D.make_batch(np.random.default_rng(5), pool, 3, 64)
    sums = [float(a.astype(np.float64).sum()) for a in (dirty, clean, mask)]
    assert sums == pytest.approx([7395.2961140275, 7356.815923124552, 794.5411890235772], rel=1e-6)
    means, plain = [], []
    for seed in range(12):
        dirty, clean, mask = D.make_batch(np.random.default_rng(seed), pool, 2, 64, jitter=0.3)
        _, unjittered, _ = D.make_batch(np.random.default_rng(seed), pool, 2, 64)
        assert 0 <= clean.min() and clean.max() <= 1
        # Input and target are lit alike: away from the corruption only the light noise differs.
        assert np.abs(dirty - clean)[mask == 0].max() < 0.1
        means += list(clean.mean(axis=(1, 2, 3)))
        plain += list(unjittered.mean(axis=(1, 2, 3)))
    assert np.std(means) > 2 * np.std(plain), "crops vary in brightness"


def test_kept_noise_is_in_input_and_target():
    pool = [synth.good_image("train", i).astype(np.float32) for i in range(3)]
    levels = []
    for seed in range(8):
        # Batches of one: the noise is drawn after the crop's regions, so they stay the same.
        dirty, clean, mask = D.make_batch(np.random.default_rng(seed), pool, 1, 64, kept_noise=0.05)
        _, plain_clean, plain_mask = D.make_batch(np.random.default_rng(seed), pool, 1, 64)
        # The same crop and regions; the target now carries noise the input carries too.
        assert np.array_equal(mask, plain_mask)
        noise = clean - plain_clean
        assert 0 <= clean.min() and clean.max() <= 1
        levels.append(float(noise.std()))
        # Away from the regions input and target differ by the light removed noise only (< 0.1),
        # much less than the kept noise itself would leave if only one side had it.
        assert np.abs(dirty - clean)[mask == 0].std() < 0.5 * noise.std() + 0.01
    assert min(levels) > 0 and max(levels) > 0.02, f"noise levels {levels}"
    # On the identity task too the noise is kept, not removed.
    dirty, clean, _ = D.make_batch(np.random.default_rng(1), pool, 2, 64, corrupted=False, kept_noise=0.05)
    assert np.array_equal(dirty, clean)


@pytest.mark.parametrize("cells", [2, 3, 4, 7, 8, 16, 23])
def test_value_noise_is_ndimage_zoom(cells):
    """The matrix form gives ndimage.zoom's values bit for bit (checked on 300 training batches when
    it replaced the zoom), so runs trained before it reproduce."""
    for h, w in [(192, 192), (37, 53), (128, 256)]:
        noise = C.value_noise(np.random.default_rng(cells), h, w, cells)
        coarse = np.random.default_rng(cells).uniform(0, 1, (cells + 3, cells + 3)).astype(np.float32)
        zoomed = ndimage.zoom(coarse, (h / cells, w / cells), order=3, mode="reflect", grid_mode=True)
        np.testing.assert_array_equal(noise, np.clip(zoomed[:h, :w], 0, 1))


def test_segment_points_are_linspace():
    pts = np.random.default_rng(5).uniform(-20, 200, (30, 2))
    pts[3] = pts[4]  # a zero-length segment
    pts[8] = pts[7] + 0.3  # one point: linspace(a, b, 1) is [a]
    ys, xs = C._segment_points(pts)
    expected = [(np.linspace(a[0], b[0], int(max(abs(b - a)) * 2) + 1),
                 np.linspace(a[1], b[1], int(max(abs(b - a)) * 2) + 1)) for a, b in zip(pts[:-1], pts[1:])]
    np.testing.assert_array_equal(ys, np.concatenate([e[0] for e in expected]))
    np.testing.assert_array_equal(xs, np.concatenate([e[1] for e in expected]))
