import math

import numpy as np
import torch
import torch.nn.functional as F

from edgeinspect.graph import Node, conv_node
from edgeinspect.modelfile import Meta, ModelFile, Tensor
from edgeinspect.score import VARIANCE_FLOOR, Scorer, gaussian_kernel, resize, smooth


def scaling_model(weight: float, sigma: float, reduce="max", multiple=4, resize_to=(0, 0), scale=1.0):
    """A one-node model: out = weight * normalised input (1x1 conv, no bias)."""
    w = np.full((1, 1, 1, 1), weight, np.float32)
    md = {"model.name": Meta.string("tiny"), "input.channels": Meta.u32(1),
          "input.mean": Meta.f32s([0.5]), "input.std": Meta.f32s([0.25]),
          "input.size_multiple": Meta.u32(multiple), "input.pad_mode": Meta.string("replicate"),
          "input.resize": Meta.u32s(resize_to), "score.sigma": Meta.f32(sigma),
          "score.reduce": Meta.string(reduce), "score.scale": Meta.f32(scale),
          "score.threshold": Meta.f32(1.0)}
    return ModelFile(md, [conv_node(0, "w", None, w.shape)], 1, [Tensor("w", w)])


def test_gaussian_kernel_by_hand():
    k = gaussian_kernel(0.5)  # radius ceil(2) = 2
    raw = [math.exp(-4 / 0.5), math.exp(-1 / 0.5), 1.0, math.exp(-1 / 0.5), math.exp(-4 / 0.5)]
    assert np.allclose(k, np.array(raw) / sum(raw), rtol=1e-12)
    assert len(gaussian_kernel(1.2)) == 2 * 5 + 1


def test_hand_computed_score_tiny_case():
    # out = 0.5 * n  =>  pixel_out = 0.5 (p - 0.5) + 0.5  =>  e = 0.25 (p - 0.5)^2
    pixels = np.array([[[0.5, 0.9, 0.1, 0.5, 0.3]]])
    res = Scorer(scaling_model(0.5, sigma=0.0)).score_pixels(pixels)
    e = [0.0, 0.25 * 0.16, 0.25 * 0.16, 0.0, 0.25 * 0.04]
    assert np.allclose(res.error[0], e, atol=1e-8)
    assert math.isclose(res.score, 0.04, rel_tol=1e-6)
    # sigma 0.5 on one row: vertical pass is the identity; horizontal with replicated borders.
    res = Scorer(scaling_model(0.5, sigma=0.5, scale=2.0)).score_pixels(pixels)
    k = gaussian_kernel(0.5)
    padded = [e[0], e[0]] + e + [e[-1], e[-1]]
    want = [sum(k[j] * padded[i + j] for j in range(5)) for i in range(5)]
    assert np.allclose(res.map[0], want, atol=1e-8)
    assert math.isclose(res.score, max(want) / 2.0, rel_tol=1e-6)


def test_mean_reduce_and_crop_of_padded_output():
    pixels = np.random.default_rng(0).uniform(0, 1, (1, 5, 7))
    res = Scorer(scaling_model(1.0, sigma=0.0, reduce="mean", multiple=8)).score_pixels(pixels)
    assert res.recon.shape == (1, 5, 7) and res.error.shape == (5, 7)
    assert res.score < 1e-10  # identity model: cropping must line up pixel for pixel


def test_smoothing_keeps_constant_and_mass():
    m = np.zeros((9, 11))
    m[4, 5] = 1.0
    s = smooth(m, 1.0)
    assert math.isclose(s.sum(), 1.0, rel_tol=1e-9)  # far from the border nothing is lost
    assert np.allclose(smooth(np.full((4, 6), 0.3), 3.0), 0.3)


def test_resize_matches_pytorch():
    img = np.random.default_rng(5).uniform(0, 1, (1, 37, 23))
    t = torch.from_numpy(img)[None]
    shrink = F.adaptive_avg_pool2d(t, (10, 7))[0].numpy()
    assert np.allclose(resize(img, 10, 7), shrink, atol=1e-12)
    grow = F.interpolate(t, size=(50, 61), mode="bilinear", align_corners=False)[0].numpy()
    assert np.allclose(resize(img, 50, 61), grow, atol=1e-12)
    mixed = resize(img, 50, 7)  # enlarge one axis, shrink the other
    assert np.allclose(mixed, F.adaptive_avg_pool2d(
        F.interpolate(t, size=(50, 23), mode="bilinear", align_corners=False), (50, 7))[0].numpy(), atol=1e-12)


def test_border_only_narrows_what_the_score_reduces():
    pixels = np.random.default_rng(1).uniform(0, 1, (1, 9, 12))
    mf = scaling_model(0.5, sigma=1.0)
    plain = Scorer(mf).score_pixels(pixels)
    mf.metadata["score.border"] = Meta.u32(2)
    bordered = Scorer(mf).score_pixels(pixels)
    assert np.array_equal(bordered.error, plain.error) and np.array_equal(bordered.map, plain.map)
    assert math.isclose(bordered.score, plain.map[2:-2, 2:-2].max(), rel_tol=1e-12)
    mf.metadata["score.border"] = Meta.u32(50)  # shrinks to min(50, (9-1)//2, (12-1)//2) = 4: rows 4:5
    assert math.isclose(Scorer(mf).score_pixels(pixels).score, plain.map[4:5, 4:8].max(), rel_tol=1e-12)


def test_variance_norm_divides_error_map_and_score_by_the_image_variance():
    pixels = np.random.default_rng(4).uniform(0.2, 0.6, (1, 14, 18))
    mf = scaling_model(0.5, sigma=1.0)
    plain = Scorer(mf).score_pixels(pixels)
    mf.metadata["score.error_norm"] = Meta.string("variance")
    normed = Scorer(mf).score_pixels(pixels)
    v = pixels.var()
    assert v > VARIANCE_FLOOR
    assert np.allclose(normed.error, plain.error / v, rtol=1e-12) and np.allclose(normed.map, plain.map / v, rtol=1e-12)
    assert math.isclose(normed.score, plain.score / v, rel_tol=1e-12)
    flat = np.full((1, 14, 18), 0.3)   # no contrast: divided by the floor, not by zero
    assert math.isclose(Scorer(mf).score_pixels(flat).score,
                        Scorer(scaling_model(0.5, sigma=1.0)).score_pixels(flat).score / VARIANCE_FLOOR, rel_tol=1e-12)


def test_map_sigma_smooths_the_map_and_leaves_the_score_alone():
    pixels = np.random.default_rng(3).uniform(0, 1, (1, 20, 24))
    plain = Scorer(scaling_model(0.5, sigma=1.0)).score_pixels(pixels)
    mf = scaling_model(0.5, sigma=1.0)
    mf.metadata["score.map_sigma"] = Meta.f32(3.0)
    wide = Scorer(mf).score_pixels(pixels)
    assert wide.score == plain.score and np.array_equal(wide.scored, plain.map)
    assert np.allclose(wide.map, smooth(plain.error, 3.0), rtol=1e-12)
    assert not np.allclose(wide.map, plain.map)


def test_score_input_skips_only_the_resize():
    pixels = np.random.default_rng(5).uniform(0, 1, (1, 29, 41))
    scorer = Scorer(scaling_model(0.5, sigma=1.0, resize_to=(16, 24)))
    whole = scorer.score_pixels(pixels)
    assert whole.map.shape == (16, 24)
    assert scorer.score_input(resize(pixels, 16, 24)).score == whole.score
    crop = whole.image[:, 3:12, 5:17]    # a crop at input size is scored as it is, not resized again
    assert scorer.score_input(crop).map.shape == (9, 12)
