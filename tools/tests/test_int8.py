"""int8 compute: activation calibration, the quant.act_scales rules, and the emulation of the
runtime's int8 convolution that the reference scorer uses."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from edgeinspect.export import build_modelfile
from edgeinspect.graph import int8_conv
from edgeinspect.modelfile import ACT_SCALES_KEY, Meta, ModelFileError, parse, serialize
from edgeinspect.quantize import add_activation_scales, int8_candidates, mse_clip
from edgeinspect.score import Scorer


def images(rng, n=2, size=32):
    return [rng.random((1, size, size)) for _ in range(n)]


def test_first_and_last_convolutions_stay_float(checkpoint, rng):
    mf = build_modelfile(checkpoint, "i8")
    convs = [i for i, n in enumerate(mf.nodes) if n.op == "conv2d"]
    nodes = add_activation_scales(mf, images(rng))
    assert nodes == int8_candidates(mf) == convs[1:-1]
    scales = mf.meta(ACT_SCALES_KEY)
    assert len(scales) == len(mf.nodes)
    assert all(scales[i] > 0 for i in nodes) and all(scales[i] == 0 for i in range(len(scales)) if i not in nodes)
    back = parse(serialize(mf))
    assert sorted(back.int8_nodes()) == nodes


def int8_mse(x, clip):
    s = clip / 127
    return float(np.mean((np.clip(np.rint(x / s), -127, 127) * s - x) ** 2))


def test_mse_clip_trades_rounding_against_clipping(rng):
    # Heavy tails (Student t, 2 degrees of freedom): the best clip gives up the far tail for finer
    # steps, and beats both the largest value and a tight clip.
    x = rng.standard_t(2, 200_000)
    clip = mse_clip(x)
    top = np.abs(x).max()
    assert clip < 0.8 * top
    assert int8_mse(x, clip) < int8_mse(x, top) and int8_mse(x, clip) < int8_mse(x, 0.05 * top)
    # A uniform spread has no tail to give up: the clip stays near the maximum.
    u = rng.uniform(-3, 3, 100_000)
    assert mse_clip(u) > 0.95 * np.abs(u).max()
    assert mse_clip(np.zeros(10)) == 0.0


def test_mse_method_records_its_rule(checkpoint, rng):
    mf = build_modelfile(checkpoint, "i8")
    nodes = add_activation_scales(mf, images(rng), method="mse")
    assert all(mf.meta(ACT_SCALES_KEY)[i] > 0 for i in nodes)
    assert "least mean squared int8 error" in mf.meta("quant.method")


def test_f32_files_get_no_int8_nodes(checkpoint, rng):
    mf = build_modelfile(checkpoint, "f32")
    assert int8_candidates(mf) == []


@pytest.mark.parametrize("bad,message", [
    (lambda n: [0.0] * (n - 1), "values for"),
    (lambda n: [0.0, -0.1] + [0.0] * (n - 2), "must be > 0"),
    (lambda n: [0.1] + [0.0] * (n - 1), "not a conv2d with i8 weights"),   # node 0 reads the image but is i8: allowed
])
def test_act_scales_rules(checkpoint, bad, message):
    mf = build_modelfile(checkpoint, "i8")
    n = len(mf.nodes)
    if message == "not a conv2d with i8 weights":
        # Put the scale on a node that is not a conv (the first upsample).
        index = next(i for i, node in enumerate(mf.nodes) if node.op != "conv2d")
        scales = [0.0] * n
        scales[index] = 0.1
    else:
        scales = bad(n)
    mf.metadata[ACT_SCALES_KEY] = Meta.f32s(scales)
    with pytest.raises(ModelFileError, match=message):
        parse(serialize(mf))


def test_act_scales_on_a_float_conv_are_rejected(checkpoint):
    mf = build_modelfile(checkpoint, "f32")
    scales = [0.0] * len(mf.nodes)
    scales[1] = 0.1
    mf.metadata[ACT_SCALES_KEY] = Meta.f32s(scales)
    with pytest.raises(ModelFileError, match="i8 weights"):
        parse(serialize(mf))


def test_int8_conv_emulation_is_integer_arithmetic(rng):
    """Against a direct numpy statement of docs/model-format.md's three steps."""
    x = torch.from_numpy(rng.uniform(-2.4, 2.4, size=(1, 5, 7, 9)).astype(np.float32))  # inside ±scale·127
    q = torch.from_numpy(rng.integers(-127, 128, size=(6, 5, 3, 3)).astype(np.float64))
    w_scales = torch.from_numpy((rng.random(6) * 0.01 + 0.001).astype(np.float32))
    bias = torch.from_numpy(rng.normal(size=6).astype(np.float32))
    attrs = {"stride_h": 2, "stride_w": 2, "pad_h": 1, "pad_w": 1, "dilation_h": 1, "dilation_w": 1}
    s = 2.5 / 127
    got = int8_conv(x, s, q, w_scales, bias, attrs).numpy()

    xq = np.clip(np.rint(x.numpy() * (np.float32(1) / np.float32(s))), -127, 127).astype(np.int64)
    padded = np.pad(xq[0], ((0, 0), (1, 1), (1, 1)))
    qi = q.numpy().astype(np.int64)
    want = np.zeros((6, 4, 5), dtype=np.float32)
    for o in range(6):
        for y in range(4):
            for xx in range(5):
                total = int((padded[:, 2 * y:2 * y + 3, 2 * xx:2 * xx + 3] * qi[o]).sum())
                want[o, y, xx] = np.float32(total) * (np.float32(s) * w_scales[o].item()) + bias[o].item()
    assert np.allclose(got[0], want, rtol=1e-6, atol=1e-6)
    # And it is close to the float convolution it replaces (quantisation error only).
    float_out = F.conv2d(x.double(), q * w_scales.double()[:, None, None, None], bias.double(), stride=2, padding=1)
    assert np.abs(got[0] - float_out[0].numpy()).max() < 0.5 * s * np.abs(q.numpy() * w_scales.numpy()[:, None, None, None]).sum(axis=(1, 2, 3)).max() + 1e-5


def test_scorer_can_run_an_int8_file_in_float(checkpoint, rng):
    mf = build_modelfile(checkpoint, "i8")
    add_activation_scales(mf, images(rng))
    img = images(rng, 1)[0]
    a = Scorer(mf).reconstruct(img)
    b = Scorer(mf, int8=False).reconstruct(img)
    assert not np.array_equal(a, b)
    assert np.abs(a - b).max() < 0.1
