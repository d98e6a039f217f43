"""The committed demo model, samples and golden files agree with the code that made them."""

import os

import numpy as np
import pytest

from edgeinspect.golden import read_golden
from edgeinspect.modelfile import read
from edgeinspect.score import Scorer

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
WEIGHTS = os.path.join(ROOT, "weights")
SAMPLES = os.path.join(ROOT, "samples")
SYNTHETIC_MODELS = ["synthetic-texture.eim", "synthetic-texture-int8.eim"]


def golden_pairs():
    folder = os.path.join(WEIGHTS, "golden")
    if not os.path.isdir(folder):
        return []
    pairs = []
    for name in sorted(os.listdir(folder)):
        stem = name.split(".")[0]
        pairs.append((f"{stem}.eim", name))
    return pairs


@pytest.mark.parametrize("model", SYNTHETIC_MODELS)
def test_shipped_model_separates_shipped_samples(model):
    scorer = Scorer(read(os.path.join(WEIGHTS, model)))
    for name in sorted(os.listdir(SAMPLES)):
        if not name.endswith(".png"):
            continue
        score = scorer.score_file(os.path.join(SAMPLES, name)).score
        if name.startswith("good"):
            assert score < scorer.threshold, f"{model}: {name} scores {score} >= {scorer.threshold}"
        else:
            assert score > scorer.threshold, f"{model}: {name} scores {score} <= {scorer.threshold}"


@pytest.mark.parametrize("model,golden", golden_pairs())
def test_golden_files_reproduce_from_the_model_file(model, golden):
    g = read_golden(os.path.join(WEIGHTS, "golden", golden))
    assert g["image"].ndim == 3 and g["error"].shape == g["image"].shape[1:]
    res = Scorer(read(os.path.join(WEIGHTS, model))).score_pixels(g["image"].astype(np.float64))
    assert np.allclose(res.recon, g["recon"], atol=1e-4)
    assert np.allclose(res.error, g["error"], rtol=1e-3, atol=1e-7)
    assert np.allclose(res.map, g["map"], rtol=1e-3, atol=1e-7)
    assert np.isclose(res.score, g["score"][0], rtol=1e-4)


@pytest.mark.parametrize("model", sorted(f for f in os.listdir(WEIGHTS) if f.endswith(".eim"))
                         if os.path.isdir(WEIGHTS) else [])
def test_every_shipped_model_file_is_valid(model):
    mf = read(os.path.join(WEIGHTS, model))
    for key in ("model.name", "train.dataset", "train.command", "train.licence", "calib.method"):
        assert mf.meta(key), key
    assert mf.meta("score.threshold") > 0
