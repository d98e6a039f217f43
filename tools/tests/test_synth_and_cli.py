import hashlib
import os

import numpy as np
import pytest
import torch

from edgeinspect import synth
from edgeinspect.__main__ import main
from edgeinspect.golden import read_golden
from edgeinspect.modelfile import read
from edgeinspect.score import interior, smooth


def test_generator_is_deterministic_and_splits_differ():
    a = synth.good_image("train", 3)
    assert np.array_equal(a, synth.good_image("train", 3))
    assert not np.array_equal(a, synth.good_image("calib", 3))
    assert a.shape == (256, 256) and 0 <= a.min() and a.max() <= 1
    assert np.array_equal(a * 255, np.rint(a * 255))  # 8-bit quantised like a camera frame


def test_defects_change_the_image_where_the_mask_is():
    for kind in synth.DEFECT_KINDS:
        img, mask = synth.defective_image("samples", 100, kind)
        assert mask.sum() > 10, kind
        clean, _ = synth.defective_image("samples", 100, kind)
        assert np.array_equal(img, clean)  # deterministic


def test_make_samples_is_reproducible(tmp_path):
    digests = []
    for run in ("a", "b"):
        main(["make-samples", "--out", str(tmp_path / run)])
        files = sorted(f for f in os.listdir(tmp_path / run) if f.endswith(".png"))
        assert len(files) == 8
        digests.append([hashlib.sha256((tmp_path / run / f).read_bytes()).hexdigest() for f in files])
    assert digests[0] == digests[1]


def test_train_export_golden_end_to_end(tmp_path):
    run = tmp_path / "run"
    main(["train", "--data", "synthetic", "--out", str(run), "--steps", "3", "--batch", "2",
          "--crop", "64", "--widths", "4", "8", "8", "--synthetic-count", "3", "--calib-count", "2"])
    main(["make-samples", "--out", str(tmp_path / "s")])
    out = tmp_path / "m.eim"
    golden = tmp_path / "g" / "m.golden"
    main(["export", "--checkpoint", str(run / "last.pt"), "--out", str(out), "--int8",
          "--golden", str(golden), "--golden-image", str(tmp_path / "s" / "defect-spot.png")])
    mf = read(str(out))
    assert mf.meta("score.threshold") > 0 and mf.meta("calib.images") == 2
    g = read_golden(str(golden))
    assert g["image"].shape == (1, 53, 75) and g["map"].shape == (53, 75)
    assert g["recon"].shape == (1, 53, 75) and g["score"].shape == (1,)
    # The score reduces the error smoothed with score.sigma; the map is smoothed with score.map_sigma.
    scored = interior(smooth(g["error"].astype(np.float64), mf.meta("score.sigma")), mf.meta("score.border"))
    assert np.isclose(g["score"][0], scored.max(), rtol=1e-6)
    assert np.allclose(g["map"], smooth(g["error"].astype(np.float64), mf.meta("score.map_sigma")), rtol=1e-5, atol=1e-9)
    assert read_golden(str(tmp_path / "g" / "m.large.golden"))["image"].shape == (1, 96, 128)


@pytest.mark.parametrize("speed", [[], ["--channels-last", "--bf16"]], ids=["planar-fp32", "nhwc-bf16"])
def test_training_reproduces_from_the_seed_and_resumes_exactly(tmp_path, monkeypatch, speed):
    """The issue's 'fixed seed that reproduces the result': with --steps (no time budget) two runs
    give bit-identical weights, and a run resumed from its step-4 checkpoint ends where the run
    that was not interrupted ends; also with the faster layout and precision."""
    from edgeinspect import train as T

    def train(out, *extra):
        main(["train", "--data", "synthetic", "--out", str(out), "--steps", "6", "--batch", "2",
              "--crop", "64", "--widths", "4", "8", "8", "--synthetic-count", "3", "--calib-count", "2",
              "--threads", "1", "--checkpoint-every", "2", "--score-border", "0", *speed, *extra])
        return torch.load(out / "last.pt", map_location="cpu", weights_only=True)

    save = T._save
    def keep_step_4(path, state):      # what an interrupted run leaves behind
        save(path, state)
        if state["step"] == 4 and "threshold" not in state["score"]:
            (tmp_path / "c").mkdir(exist_ok=True)
            save(str(tmp_path / "c" / "last.pt"), state)
    monkeypatch.setattr(T, "_save", keep_step_4)
    a = train(tmp_path / "a")
    monkeypatch.setattr(T, "_save", save)
    b = train(tmp_path / "b")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    c = train(tmp_path / "c", "--resume")
    assert c["step"] == 6
    assert all(torch.equal(a["model"][k], c["model"][k]) for k in a["model"])
    assert all(v.is_contiguous() for v in a["model"].values())  # planar in the checkpoint either way
