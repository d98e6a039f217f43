"""`make-samples`: the shipped demo images (synthetic, from a seed split training never uses)."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from . import synth

GOOD_COUNT = 4
DEFECT_INDEX_BASE = 100  # defect images use indices 100.. of the samples split, good ones 0..

README = """# Sample images

Synthetic 256x256 8-bit grayscale PNGs of the procedural woven texture of
`tools/edgeinspect/synth.py`, written by

    tools/.venv/bin/python -m edgeinspect make-samples --out samples/

They are a pure function of the code: split `samples` (generator seed
`[{seed}, index]`), which neither training (`[{train}, i]`) nor calibration (`[{calib}, i]`) uses.

| file | content | generator index |
|---|---|---|
{rows}

Defects are drawn on the clean texture before sensor noise and 8-bit quantisation:
a dark curved scratch (~2 px wide), a bright Gaussian spot, a smudge where the weave is
blurred away, and a thin jagged dark crack. No image from `../shared/data` is used.
"""


def make_samples(out: str) -> list[str]:
    os.makedirs(out, exist_ok=True)
    written, rows = [], []

    def save(name: str, img: np.ndarray, what: str, index: int):
        path = os.path.join(out, name)
        Image.fromarray(np.rint(img * 255).astype(np.uint8), mode="L").save(path, optimize=True)
        written.append(path)
        rows.append(f"| {name} | {what} | {index} |")

    for i in range(GOOD_COUNT):
        save(f"good-{i + 1}.png", synth.good_image("samples", i), "defect-free", i)
    for k, kind in enumerate(synth.DEFECT_KINDS):
        img, _ = synth.defective_image("samples", DEFECT_INDEX_BASE + k, kind)
        save(f"defect-{kind}.png", img, f"defect: {kind}", DEFECT_INDEX_BASE + k)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(README.format(seed=synth.SPLIT_SEEDS["samples"], train=synth.SPLIT_SEEDS["train"],
                              calib=synth.SPLIT_SEEDS["calib"], rows="\n".join(rows)))
    return written
