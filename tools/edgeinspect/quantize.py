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
                      percentile: float = DEFAULT_PERCENTILE) -> list[float]:
    """One scale per graph node (0 = float): the file's float graph runs on each image, and each
    int8 node's input gets percentile(|x|) / 127, the largest over the images."""
    wanted = set(nodes)
    peak = {i: 0.0 for i in nodes}

    def record(index, x):
        if index in wanted:
            value = float(np.percentile(np.abs(x.numpy()), percentile))
            peak[index] = max(peak[index], value)

    scorer = Scorer(mf, int8=False)
    for image in images:
        scorer.reconstruct(scorer.prepare(image), on_conv=record)
    return [float(np.float32(peak[i] / 127.0)) if i in wanted and peak[i] > 0 else 0.0
            for i in range(len(mf.nodes))]


def add_activation_scales(mf: ModelFile, images: list[np.ndarray],
                          percentile: float = DEFAULT_PERCENTILE) -> list[int]:
    """Calibrates and stores quant.act_scales / quant.method in `mf`; returns the int8 nodes."""
    nodes = int8_candidates(mf)
    scales = activation_scales(mf, images, nodes, percentile)
    mf.metadata[ACT_SCALES_KEY] = Meta.f32s(scales)
    mf.metadata["quant.method"] = Meta.string(
        f"int8 compute for {len(nodes)} convolutions (first and last stay float): input scale = "
        f"percentile {percentile:g} of |x| / 127, largest over {len(images)} training images")
    return [i for i in nodes if scales[i] > 0]
