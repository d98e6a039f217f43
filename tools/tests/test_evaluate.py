"""`evaluate` end to end on a tiny fake MVTec AD folder of synthetic texture images."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from edgeinspect import synth
from edgeinspect.__main__ import main
from edgeinspect.evaluate import discover, evaluate, to_mask_size
from edgeinspect.export import build_modelfile
from edgeinspect.modelfile import write

from conftest import small_checkpoint

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "weights" / "synthetic-texture.eim"
SIZE = 128


def save_gray(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.rint(np.clip(pixels, 0, 1) * 255).astype(np.uint8)).save(path)


@pytest.fixture(scope="module")
def fake_mvtec(tmp_path_factory) -> Path:
    """4 good images, 2 spots and 2 scratches with masks. File names repeat across kinds, as in
    MVTec AD (000.png), which the Swift leg's per-stem map names must survive."""
    root = tmp_path_factory.mktemp("mvtec")
    for i in range(4):
        save_gray(root / "test" / "good" / f"{i:03d}.png", synth.good_image("test", i, SIZE))
    for kind in ("spot", "scratch"):
        for i in range(2):
            img, mask = synth.defective_image("test", 10 + i, kind, SIZE)
            save_gray(root / "test" / kind / f"{i:03d}.png", img)
            save_gray(root / "ground_truth" / kind / f"{i:03d}_mask.png", (mask > 0.5).astype(float))
    return root


def test_discover_limits_evenly_and_pairs_masks(fake_mvtec):
    samples = discover(fake_mvtec, limit=3)
    assert [s.path.name for s in samples if s.kind == "good"] == ["000.png", "002.png", "003.png"]
    assert {s.kind for s in samples} == {"good", "spot", "scratch"}
    assert all((s.mask_path is None) == (s.kind == "good") for s in samples)


def test_missing_mask_is_an_error(fake_mvtec, tmp_path):
    save_gray(tmp_path / "test" / "good" / "a.png", np.zeros((8, 8)))
    save_gray(tmp_path / "test" / "dent" / "b.png", np.zeros((8, 8)))
    with pytest.raises(SystemExit, match="b_mask.png"):
        discover(tmp_path)


def test_map_resize_to_mask_size_is_bilinear():
    ramp = np.tile(np.arange(4, dtype=np.float64), (2, 1))  # [2, 4], 0 1 2 3 along x
    out = to_mask_size(ramp, (4, 8))
    assert out.shape == (4, 8)
    assert np.allclose(out[0], [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
    assert np.allclose(out, out[0])


def test_pytorch_only_run_writes_every_output(fake_mvtec, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("EDGE_INSPECT_BIN", raising=False)
    out = tmp_path / "eval"
    assert main(["evaluate", "--data", str(fake_mvtec), "--model", str(MODEL), "--out", str(out)]) == 0
    assert "PyTorch only" in capsys.readouterr().out
    for name in ("metrics.json", "metrics.md", "roc.png", "examples.png"):
        assert (out / name).stat().st_size > 100, name
    report = json.loads((out / "metrics.json").read_text())
    m = report["engines"]["pytorch"]
    assert list(report["engines"]) == ["pytorch"] and "agreement" not in report
    assert m["image_auroc"] >= 0.9
    assert m["pixel_auroc"] > 0.95 and 0.9 < m["pro"] <= 1.0
    assert set(m["per_kind"]) == {"spot", "scratch"}
    assert report["images"] == {"total": 8, "good": 4, "defective": 4,
                                "per_kind": {"good": 4, "scratch": 2, "spot": 2}}
    md = (out / "metrics.md").read_text()
    assert "| pytorch |" in md and "| spot | 2 |" in md


def test_model_with_input_resize_gets_maps_at_mask_size(fake_mvtec, tmp_path):
    ckpt = small_checkpoint()
    ckpt["data"]["resize"] = [48, 40]  # maps come out 48 x 40; masks are 128 x 128
    model = tmp_path / "resize.eim"
    write(str(model), build_modelfile(ckpt, "f32"))
    report = evaluate(fake_mvtec, model, tmp_path / "eval", swift_bin=None, limit=2)
    m = report["engines"]["pytorch"]
    assert 0.0 <= m["pixel_auroc"] <= 1.0 and 0.0 <= m["pro"] <= 1.0
    assert report["images"]["total"] == 6


def test_pixel_subsampling_is_reported(fake_mvtec, tmp_path):
    report = evaluate(fake_mvtec, MODEL, tmp_path / "eval", limit=2, max_pixels=20_000)
    assert report["engines"]["pytorch"]["pixel_fraction_used"] < 0.5
    assert any("random" in n for n in report["notes"])


def test_swift_engine_agrees_with_pytorch(fake_mvtec, tmp_path):
    exe = os.environ.get("EDGE_INSPECT_BIN")
    if not exe or not Path(exe).is_file():
        pytest.skip("EDGE_INSPECT_BIN is not set to a built edge-inspect (tools/test.sh sets it): "
                    "the Swift leg of evaluate is not tested")
    report = evaluate(fake_mvtec, MODEL, tmp_path / "eval", swift_bin=Path(exe))
    assert list(report["engines"]) == ["pytorch", "swift"]
    agree = report["agreement"]
    assert agree["max_abs_score_diff"] < 1e-4
    assert agree["metrics_agree_to_3_decimals"], agree["metric_diffs"]
    assert report["engines"]["swift"]["image_auroc"] >= 0.9
    assert "| swift |" in (tmp_path / "eval" / "metrics.md").read_text()
