"""int8 activation calibration: a per-tensor scale for the input of each convolution that runs in
int8, measured on the checkpoint's own training images and stored as `quant.act_scales`.

The first convolution (it reads the image, one channel: little work, and the input's quantisation
error would reach every later layer) and the last (it produces the reconstruction the anomaly map
is computed from) stay in float; every other i8 convolution runs in int8.
"""

from __future__ import annotations

import os

import numpy as np

from . import data as D
from . import synth
from .modelfile import ACT_SCALES_KEY, DTYPE_I8, Meta, ModelFile
from .score import Scorer

# Scale = this percentile of |x| (per image, then the largest over images) / 127. Clipping the
# rarest 0.001 % of values costs less than the coarser steps a plain maximum would give.
DEFAULT_PERCENTILE = 99.999
DEFAULT_IMAGES = 32


def int8_candidates(mf: ModelFile) -> list[int]:
    """conv2d nodes with i8 weights that are neither the first (reads the graph input) nor the
    last (writes the graph output)."""
    by_name = {t.name: t for t in mf.tensors}
    return [i for i, n in enumerate(mf.nodes)
            if n.op == "conv2d" and by_name[n.weight].dtype == DTYPE_I8
            and 0 not in n.inputs and i + 1 != mf.output]


def training_images(ckpt: dict, count: int = DEFAULT_IMAGES) -> list[np.ndarray]:
    """Up to `count` of the checkpoint's training images as [1, H, W] pixels (evenly spaced)."""
    data, args = ckpt["data"], ckpt["args"]
    if data["kind"] == "synthetic":
        n = min(count, args["synthetic_count"])
        return [synth.good_image("train", i)[None] for i in range(n)]
    files = D.find_images(args["data"]) if os.path.isdir(args["data"]) else []
    if not files:
        raise SystemExit(f"int8 calibration needs the training images of {args['data']!r}, which are missing")
    train, _ = D.split_holdout(files, args["holdout"], args["seed"])
    picked = [train[i] for i in np.linspace(0, len(train) - 1, min(count, len(train))).astype(int)]
    return [D.load_gray(p, tuple(data["resize"]))[None].astype(np.float64) for p in picked]


def activation_scales(mf: ModelFile, images: list[np.ndarray], nodes: list[int],
                      percentile: float = DEFAULT_PERCENTILE, method: str = "percentile") -> list[float]:
    """One scale per graph node (0 = float): the file's float graph runs on each image.
    method "percentile": each int8 node's input gets percentile(|x|) / 127, the largest over the
    images. method "mse": the clipping range that minimises the mean squared rounding-and-clipping
    error of the node's inputs over all the images (`mse_clip`)."""
    wanted = set(nodes)
    peak = {i: 0.0 for i in nodes}
    samples: dict[int, list[np.ndarray]] = {i: [] for i in nodes}
    rng = np.random.default_rng(0)

    def record(index, x):
        if index not in wanted:
            return
        values = x.numpy().ravel()
        if method == "mse":
            # Every image contributes equally; 200k values per image keep the search fast.
            samples[index].append(values if values.size <= 200_000 else rng.choice(values, 200_000, replace=False))
        else:
            peak[index] = max(peak[index], float(np.percentile(np.abs(values), percentile)))

    scorer = Scorer(mf, int8=False)
    for image in images:
        scorer.reconstruct(scorer.prepare(image), on_conv=record)
    if method == "mse":
        peak = {i: mse_clip(np.concatenate(samples[i])) for i in nodes}
    return [float(np.float32(peak[i] / 127.0)) if i in wanted and peak[i] > 0 else 0.0
            for i in range(len(mf.nodes))]


def mse_clip(x: np.ndarray, candidates: int = 200) -> float:
    """The clip value c (scale c / 127) with the least mean squared error of x against its int8
    round trip, clamp(round(x / s), -127, 127) * s, searched over c = max|x| * k / candidates.
    A wide range rounds every value coarsely; a narrow one clips the tails: this balances the two
    on the data itself instead of fixing a percentile."""
    x = x.astype(np.float64)
    top = float(np.abs(x).max())
    if top == 0:
        return 0.0
    best, best_err = top, np.inf
    for k in range(1, candidates + 1):
        c = top * k / candidates
        s = c / 127.0
        err = float(np.mean((np.clip(np.rint(x / s), -127, 127) * s - x) ** 2))
        if err < best_err:
            best, best_err = c, err
    return best


def add_activation_scales(mf: ModelFile, images: list[np.ndarray],
                          percentile: float = DEFAULT_PERCENTILE, method: str = "percentile") -> list[int]:
    """Calibrates and stores quant.act_scales / quant.method in `mf`; returns the int8 nodes."""
    nodes = int8_candidates(mf)
    scales = activation_scales(mf, images, nodes, percentile, method)
    rule = (f"the clip of least mean squared int8 error over the inputs of {len(images)} training images"
            if method == "mse" else
            f"percentile {percentile:g} of |x| / 127, largest over {len(images)} training images")
    mf.metadata[ACT_SCALES_KEY] = Meta.f32s(scales)
    mf.metadata["quant.method"] = Meta.string(
        f"int8 compute for {len(nodes)} convolutions (first and last stay float): input scale = {rule}")
    return [i for i in nodes if scales[i] > 0]
