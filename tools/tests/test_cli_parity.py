"""The shipped Swift runtime against the PyTorch reference, through the CLI a user runs.

tools/test.sh builds `edge-inspect` and exports EDGE_INSPECT_BIN (and EDGE_INSPECT_EMBEDDED_BIN for the
Embedded Swift build, EDGE_INSPECT_AARCH64_BIN and EDGE_INSPECT_ARMV7_BIN for the board builds run
under qemu); run standalone, these tests look for a release build in .build/ and skip
with a message naming the build command when there is none.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from edgeinspect.modelfile import read
from edgeinspect.score import Scorer

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPO / "samples").glob("*.png"))
MODELS = sorted((REPO / "weights").glob("*.eim"))


def binary(variable: str, fallback: Path) -> Path:
    path = Path(os.environ.get(variable, fallback))
    if not path.is_file():
        pytest.skip(f"{path} not built: run `swift build -c release` (or tools/test.sh, which sets {variable})")
    return path


def emulator(name: str) -> str:
    """The path of qemu user-mode emulator `name`; skips the test when it is not installed."""
    import shutil
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed: run cross/install-deps.sh")
    return path


def cli_scores(exe: Path, model: Path, images: list[Path], tmp_path: Path) -> dict[str, dict]:
    proc = subprocess.run([str(exe), "score", "--model", str(model), "--json", "--no-heatmap",
                           *map(str, images)], capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == len(images)
    expected_code = 1 if any(r["anomalous"] for r in lines) else 0
    assert proc.returncode == expected_code, "exit code 1 exactly when some image is anomalous"
    return {Path(r["image"]).name: r for r in lines}


def test_samples_and_models_are_shipped():
    assert len(SAMPLES) >= 8 and len(MODELS) >= 2


def score_tolerance(model: Path) -> float:
    """Relative score tolerance between two correct runs of `model`. Float models: 1e-4. Models
    with int8 compute (quant.act_scales): 5e-2. Rounding to int8 is discontinuous, so a 1e-7
    difference in one float activation (another libm, summation order or CPU) can move a value by
    one step, and the step spreads through the later layers; the reference itself moves its
    sample scores by up to 4 % when the input changes by 1e-7. Measured Swift vs PyTorch: up to 2.5 %."""
    return 5e-2 if read(str(model)).int8_nodes() else 1e-4


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.name)
def test_cli_scores_and_verdicts_match_pytorch(model, tmp_path):
    exe = binary("EDGE_INSPECT_BIN", REPO / ".build/release/edge-inspect")
    swift = cli_scores(exe, model, SAMPLES, tmp_path)
    scorer = Scorer(read(str(model)))
    rel = score_tolerance(model)
    if rel > 1e-4 and not model.name.startswith("synthetic-texture"):
        # The samples are synthetic weave: for an int8 model trained on other data they lie far
        # outside its calibrated activation ranges, where one rounding flip spreads further
        # (measured: grid-int8 on defect-crack.png, Swift 0.01506 vs PyTorch 0.01368, 10 %). On
        # its own data grid-int8 agrees to 2.6 % (weights/README.md); verdicts must still match.
        rel = 0.25
    for image in SAMPLES:
        reference = scorer.score_file(str(image))
        got = swift[image.name]
        assert got["threshold"] == pytest.approx(scorer.threshold, rel=1e-6)
        assert got["score"] == pytest.approx(reference.score, rel=rel, abs=1e-6), image.name
        assert got["anomalous"] == (reference.score > scorer.threshold), image.name


def test_int8_model_runs_in_int8_and_fp32_flag_runs_it_in_float(tmp_path):
    """The shipped int8 file runs its convolutions in int8 (info says so); --fp32 gives the float
    result of its dequantised weights (PyTorch with int8=False, to 1e-4)."""
    exe = binary("EDGE_INSPECT_BIN", REPO / ".build/release/edge-inspect")
    model = REPO / "weights/synthetic-texture-int8.eim"
    info = subprocess.run([str(exe), "info", str(model)], capture_output=True, text=True, timeout=60)
    assert "precision  int8: 12 of 14 convolutions" in info.stdout, info.stdout
    proc = subprocess.run([str(exe), "score", "--fp32", "--model", str(model), "--json", "--no-heatmap",
                           *map(str, SAMPLES)], capture_output=True, text=True, timeout=300)
    got = {Path(r["image"]).name: r for r in map(json.loads, proc.stdout.splitlines())}
    scorer = Scorer(read(str(model)), int8=False)
    for image in SAMPLES:
        assert got[image.name]["score"] == pytest.approx(scorer.score_file(str(image)).score, rel=1e-4)


def test_shipped_samples_get_the_expected_verdicts(tmp_path):
    exe = binary("EDGE_INSPECT_BIN", REPO / ".build/release/edge-inspect")
    for model in MODELS:
        if not model.name.startswith("synthetic-texture"):
            continue
        swift = cli_scores(exe, model, SAMPLES, tmp_path)
        for name, result in swift.items():
            assert result["anomalous"] == name.startswith("defect-"), f"{model.name}: {name}"


def test_embedded_build_scores_like_the_host_build(tmp_path):
    host = binary("EDGE_INSPECT_BIN", REPO / ".build/release/edge-inspect")
    embedded = binary("EDGE_INSPECT_EMBEDDED_BIN", REPO / ".build-embedded/edge-inspect")
    for model in MODELS:
        a = cli_scores(host, model, SAMPLES, tmp_path)
        b = cli_scores(embedded, model, SAMPLES, tmp_path)
        for name in a:
            rel = 1e-5 if score_tolerance(model) < 1e-2 else score_tolerance(model)
            assert b[name]["score"] == pytest.approx(a[name]["score"], rel=rel), name
            assert b[name]["anomalous"] == a[name]["anomalous"], name


# The board binaries (Embedded Swift) under qemu user-mode emulation, on the CPUs that select
# different kernels: aarch64 as a Cortex-A53 (no dot product) and as a Cortex-A76, armv7 as a
# Cortex-A7 (the C NEON convolution block). -L names the cross sysroot; the binaries are static
# and need nothing from it.
QEMU_RUNS = [
    pytest.param("EDGE_INSPECT_AARCH64_BIN", ".build-cross/aarch64-cortex-a53/edge-inspect", "qemu-aarch64",
                 "cortex-a53", "/usr/aarch64-linux-gnu", id="aarch64-cortex-a53"),
    pytest.param("EDGE_INSPECT_AARCH64_BIN", ".build-cross/aarch64-cortex-a53/edge-inspect", "qemu-aarch64",
                 "cortex-a76", "/usr/aarch64-linux-gnu", id="aarch64-cortex-a76"),
    pytest.param("EDGE_INSPECT_ARMV7_BIN", ".build-cross/armv7-cortex-a7/edge-inspect", "qemu-arm",
                 "cortex-a7", "/usr/arm-linux-gnueabihf", id="armv7-cortex-a7"),
]
GOLDENS = sorted((REPO / "weights/golden").glob("*.golden"))


def golden_inputs(directory: Path) -> list[tuple[Path, Path, float]]:
    """(model, image, PyTorch score) for each golden file: its model-input crop written as an 8-bit
    PNG, which is lossless because the crops are 8-bit pixels scaled by 1/255."""
    import numpy as np
    from PIL import Image

    from edgeinspect.golden import read_golden
    runs = []
    for golden in GOLDENS:
        arrays = read_golden(str(golden))
        pixels = arrays["image"][0] * 255
        assert np.abs(pixels - np.round(pixels)).max() < 1e-3, f"{golden.name}: input is not 8-bit"
        image = directory / (golden.name.replace(".", "-") + ".png")
        Image.fromarray(np.round(pixels).astype(np.uint8), mode="L").save(image)
        model = REPO / "weights" / (golden.name.split(".")[0] + ".eim")
        runs.append((model, image, float(arrays["score"][0])))
    return runs


def scores_and_maps(command: list[str], model: Path, images: list[Path], out_dir: Path) -> dict[str, dict]:
    """Runs `edge-inspect score --raw-map` and reads each map back (value = pixel * map_scale)."""
    import numpy as np
    from PIL import Image
    out_dir.mkdir()
    proc = subprocess.run([*command, "score", "--model", str(model), "--json", "--no-heatmap", "--raw-map",
                           "--out-dir", str(out_dir), "--threads", "2", *map(str, images)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    results = {}
    for record in map(json.loads, proc.stdout.splitlines()):
        with Image.open(record["map"]) as im:
            record["map_values"] = np.asarray(im, dtype=np.float64) * record["map_scale"]
        results[Path(record["image"]).name] = record
    assert len(results) == len(images)
    return results


def assert_same_bits(a: dict[str, dict], b: dict[str, dict], label: str) -> None:
    """Two `scores_and_maps` results with the same scores and maps, bit for bit."""
    assert a.keys() == b.keys(), label
    for name in a:
        assert a[name]["score"] == b[name]["score"], (label, name)
        assert (a[name]["map_values"] == b[name]["map_values"]).all(), (label, name)


def with_every_score_key(directory: Path) -> Path:
    """synthetic-texture.eim with score.error_norm, score.border and score.map_sigma set, and a
    threshold between good-4.png's score (0.55 in variance units) and defect-smudge.png's (1.74)."""
    from edgeinspect.modelfile import Meta, write
    mf = read(str(REPO / "weights/synthetic-texture.eim"))
    mf.metadata.update({"score.error_norm": Meta.string("variance"), "score.border": Meta.u32(5),
                        "score.map_sigma": Meta.f32(10), "score.map_threshold": Meta.f32(1),
                        "score.threshold": Meta.f32(1)})
    path = directory / "every-score-key.eim"
    write(str(path), mf)
    return path


@pytest.mark.parametrize("variable, default, qemu_name, cpu, sysroot", QEMU_RUNS)
def test_arm_build_under_qemu_scores_like_the_host_build(variable, default, qemu_name, cpu, sysroot, tmp_path):
    """Two samples and every golden-file input (and one sample with every optional score key),
    scored by the board binary under emulation and by the x86 build. Verdicts agree
    exactly; scores to 1e-4 relative (libm's expf differs between the two); anomaly maps to 1e-4 of
    the map's peak (each 16-bit map file is quantised to 1.5e-5 of its peak); golden scores to 1e-4
    relative of PyTorch's."""
    host = binary("EDGE_INSPECT_BIN", REPO / ".build/release/edge-inspect")
    board = binary(variable, REPO / default)
    qemu = emulator(qemu_name)
    emulated = [qemu, "-cpu", cpu, "-L", sysroot, str(board)]
    runs = [(REPO / "weights" / model, image, None)
            for model in ("synthetic-texture.eim", "synthetic-texture-int8.eim")
            for image in (REPO / "samples/good-4.png", REPO / "samples/defect-smudge.png")]
    # The optional score keys the real-data files use (the variance, the border, the map's own
    # blur), on the board too: on the small demo network, as grid.eim's 512 x 512 frame takes
    # 160 s to plan and run under qemu.
    runs += [(with_every_score_key(tmp_path), REPO / f"samples/{name}.png", None)
             for name in ("good-4", "defect-smudge")]
    runs += golden_inputs(tmp_path)
    board_results = {}
    for n, model in enumerate(sorted({model for model, _, _ in runs})):
        images = [image for m, image, _ in runs if m == model]
        want = scores_and_maps([str(host)], model, images, tmp_path / f"host-{n}")
        got = scores_and_maps(emulated, model, images, tmp_path / f"board-{n}")
        tolerance = score_tolerance(model)
        for name, expected in want.items():
            label = (cpu, model.name, name)
            assert got[name]["anomalous"] == expected["anomalous"], label
            assert got[name]["score"] == pytest.approx(expected["score"], rel=tolerance), label
            assert got[name]["map_values"].shape == expected["map_values"].shape, label
            peak = expected["map_values"].max()
            assert abs(got[name]["map_values"] - expected["map_values"]).max() <= tolerance * peak, label
        board_results.update(got)
    for model, image, pytorch_score in runs:
        if pytorch_score is not None:
            assert board_results[image.name]["score"] == pytest.approx(pytorch_score, rel=score_tolerance(model)), (cpu, image.name)


@pytest.mark.parametrize("variable, default, qemu_name, cpu, kernels, features", [
    ("EDGE_INSPECT_AARCH64_BIN", ".build-cross/aarch64-cortex-a53/edge-inspect", "qemu-aarch64", "cortex-a53", "neon",
     "(cpu: neon)"),
    ("EDGE_INSPECT_AARCH64_BIN", ".build-cross/aarch64-cortex-a53/edge-inspect", "qemu-aarch64", "cortex-a76", "sdot",
     "(cpu: neon asimddp)"),
    ("EDGE_INSPECT_ARMV7_BIN", ".build-cross/armv7-cortex-a7/edge-inspect", "qemu-arm", "cortex-a7", "neon",
     "(cpu: neon)"),
])
def test_arm_build_selects_its_int8_kernels_at_run_time(variable, default, qemu_name, cpu, kernels, features):
    """One cortex-a53 binary: on a Cortex-A53 (no dot product) the int8 convolutions must use the
    widening-multiply NEON kernels, on a Cortex-A76 the sdot kernels (chosen from HWCAP at run
    time); the armv7 binary the widening-multiply kernel too. The scoring test above runs every
    path on real images."""
    board = binary(variable, REPO / default)
    qemu = emulator(qemu_name)
    model = REPO / "weights/synthetic-texture-int8.eim"
    proc = subprocess.run([qemu, "-cpu", cpu, str(board), "info", str(model)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"precision  int8: 12 of 14 convolutions, kernels {kernels} {features}" in proc.stdout, (cpu, proc.stdout[-300:])


def test_armv7_int8_kernel_equals_the_portable_one(tmp_path):
    """The armv7 NEON kernel and the plain C loop add the same int8 products in int32, so with the
    same float epilogue they must give the same scores and maps, bit for bit."""
    board = binary("EDGE_INSPECT_ARMV7_BIN", REPO / ".build-cross/armv7-cortex-a7/edge-inspect")
    qemu = emulator("qemu-arm")
    model = REPO / "weights/synthetic-texture-int8.eim"
    images = [REPO / "samples/good-4.png", REPO / "samples/defect-smudge.png"]
    # Each process measures its float layers' kernels, as the product does: those feeding an int8
    # layer choose between the two direct kernels only, which give the same bits (the test below).
    # Before that rule this test failed once in a run of the whole file, most likely because one
    # process picked Winograd there.
    emulated = [qemu, "-cpu", "cortex-a7", str(board)]
    forced = ["env", "EDGEINSPECT_I8_PATH=portable", *emulated]
    info = subprocess.run([*forced, "info", str(model)], capture_output=True, text=True, timeout=120)
    assert "kernels portable" in info.stdout, info.stdout[-300:]
    neon = scores_and_maps(emulated, model, images, tmp_path / "neon")
    portable = scores_and_maps(forced, model, images, tmp_path / "portable")
    assert_same_bits(neon, portable, "neon vs portable")


@pytest.mark.parametrize("variable, default, qemu_name, cpu", [
    ("EDGE_INSPECT_AARCH64_BIN", ".build-cross/aarch64-cortex-a53/edge-inspect", "qemu-aarch64", "cortex-a53"),
    ("EDGE_INSPECT_ARMV7_BIN", ".build-cross/armv7-cortex-a7/edge-inspect", "qemu-arm", "cortex-a7"),
])
def test_arm_direct_kernels_give_the_same_bits(variable, default, qemu_name, cpu, tmp_path):
    """The engine times the two direct kernels against each other for float layers that feed an
    int8 layer, trusting that they add the same products in the same order (armv7's direct-oc8 is
    its NEON block kernel). Forced one after the other, an int8 model must score identically;
    Winograd forced instead fails this (checked once by hand)."""
    board = binary(variable, REPO / default)
    qemu = emulator(qemu_name)
    model = REPO / "weights/synthetic-texture-int8.eim"
    images = [REPO / "samples/defect-smudge.png"]
    runs = {kernel: scores_and_maps(["env", f"EDGEINSPECT_CONV_KERNEL={kernel}", qemu, "-cpu", cpu, str(board)],
                                    model, images, tmp_path / kernel)
            for kernel in ("direct-oc8", "direct-x16")}
    assert_same_bits(runs["direct-oc8"], runs["direct-x16"], f"{cpu}: direct-oc8 vs direct-x16")
