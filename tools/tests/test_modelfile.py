import struct
import zlib

import numpy as np
import pytest

from edgeinspect.export import build_modelfile
from edgeinspect.graph import Node
from edgeinspect.modelfile import (CHECKSUM_OFFSET, FLAGS_OFFSET, HEADER_SIZE, ModelFileError, Meta,
                                   ModelFile, Tensor, parse, quantize_int8, serialize)


def header(blob):
    return struct.unpack_from("<9Q", blob, 16)


def refresh_crc(blob: bytearray) -> bytes:
    blob[CHECKSUM_OFFSET:CHECKSUM_OFFSET + 4] = b"\0\0\0\0"
    struct.pack_into("<I", blob, CHECKSUM_OFFSET, zlib.crc32(bytes(blob)))
    return bytes(blob)


@pytest.mark.parametrize("dtype", ["f32", "f16", "i8"])
def test_round_trip_is_identical(checkpoint, dtype):
    mf = build_modelfile(checkpoint, dtype)
    blob = serialize(mf)
    back = parse(blob)
    assert serialize(back) == blob
    assert list(back.metadata) == list(mf.metadata)
    for key, m in mf.metadata.items():
        assert back.metadata[key].kind == m.kind and back.metadata[key].value == m.value
    assert back.output == mf.output
    assert [(n.op, n.inputs, n.attrs, n.weight, n.bias) for n in back.nodes] == \
        [(n.op, n.inputs, n.attrs, n.weight, n.bias) for n in mf.nodes]
    for a, b in zip(mf.tensors, back.tensors):
        assert a.name == b.name and a.data.dtype == b.data.dtype
        assert np.array_equal(a.data, b.data)
        if a.scales is not None:
            assert np.array_equal(a.scales, b.scales)


def test_layout_chain_and_alignment(modelfile):
    modelfile.tensors[0] = Tensor(modelfile.tensors[0].name, *quantize_int8(modelfile.tensors[0].data))
    blob = serialize(modelfile)
    size, meta_off, meta_size, graph_off, graph_size, table_off, count, data_off, data_size = header(blob)
    assert blob[:8] == b"EDGEINSP" and size == len(blob)
    assert meta_off == HEADER_SIZE and graph_off == meta_off + meta_size
    assert table_off == graph_off + graph_size
    assert data_off % 64 == 0 and table_off + 96 * count <= data_off < table_off + 96 * count + 64
    assert data_off + data_size == len(blob)
    assert count == len(modelfile.tensors)
    for i in range(count):
        offset, nbytes, scale_off, scale_count, _ = struct.unpack_from("<5Q", blob, table_off + 96 * i + 56)
        assert offset % 64 == 0 and scale_off % 64 == 0
        assert (data_off + offset) % 64 == 0
        assert offset + nbytes <= data_size
    assert struct.unpack_from("<B", blob, table_off + 32)[0] == 2  # first tensor really is i8


def test_crc_is_zlib_crc32_of_file_with_zeroed_field(modelfile):
    blob = bytearray(serialize(modelfile))
    stored = struct.unpack_from("<I", blob, CHECKSUM_OFFSET)[0]
    blob[CHECKSUM_OFFSET:CHECKSUM_OFFSET + 4] = b"\0\0\0\0"
    assert stored == zlib.crc32(bytes(blob))


def test_any_flipped_byte_is_rejected(modelfile):
    blob = serialize(modelfile)
    for pos in (0, 20, 200, len(blob) // 2, len(blob) - 1):
        bad = bytearray(blob)
        bad[pos] ^= 0x40
        with pytest.raises(ModelFileError):
            parse(bytes(bad))


def test_truncated_file_is_rejected(modelfile):
    blob = serialize(modelfile)
    with pytest.raises(ModelFileError, match="file size"):
        parse(blob[:-1])


def test_int8_quantisation_error_bound(rng):
    w = rng.normal(0, 0.3, (16, 8, 3, 3)).astype(np.float32)
    w[3] *= 100.0   # channels of very different ranges: per-channel scales must absorb this
    w[5] = 0.0      # an all-zero channel still needs a positive scale
    q, scales = quantize_int8(w)
    assert q.dtype == np.int8 and q.min() >= -127 and q.max() <= 127
    assert np.all(scales > 0) and scales.dtype == np.float32
    maxabs = np.abs(w.reshape(16, -1)).max(axis=1)
    nonzero = maxabs > 0
    assert np.allclose(scales[nonzero], maxabs[nonzero] / 127, rtol=1e-6)
    deq = scales[:, None, None, None].astype(np.float64) * q
    err = np.abs(deq - w).reshape(16, -1).max(axis=1)
    assert np.all(err <= scales * 0.5 * (1 + 1e-5) + 1e-12)
    assert np.all(np.abs(q.reshape(16, -1)).max(axis=1)[nonzero] == 127)


def test_int8_file_dequantises_to_scale_times_q(checkpoint):
    mf = parse(serialize(build_modelfile(checkpoint, "i8")))
    t = mf.tensors[0]
    assert t.data.dtype == np.int8
    assert np.array_equal(mf.params()[t.name].numpy(), t.scales[:, None, None, None] * t.data.astype(np.float32))


def test_int8_minus_128_is_rejected(checkpoint):
    mf = build_modelfile(checkpoint, "i8")
    blob = bytearray(serialize(mf))
    table_off, data_off = header(blob)[5], header(blob)[7]
    offset = struct.unpack_from("<Q", blob, table_off + 56)[0]
    blob[data_off + offset] = 0x80
    with pytest.raises(ModelFileError, match="-128"):
        parse(refresh_crc(blob))


def test_semantic_errors_are_reported(modelfile):
    def rejected(mutate, match):
        mf = build_copy(modelfile)
        mutate(mf)
        with pytest.raises(ModelFileError, match=match):
            serialize(mf)

    def build_copy(m):
        return ModelFile(dict(m.metadata), [Node(n.op, list(n.inputs), dict(n.attrs), n.weight, n.bias)
                                            for n in m.nodes], m.output, list(m.tensors))

    rejected(lambda m: m.metadata.pop("score.threshold"), "score.threshold")
    rejected(lambda m: m.metadata.update({"score.threshold": Meta.f32(0.0)}), "threshold")
    rejected(lambda m: m.metadata.update({"input.std": Meta.f32s([0.0])}), "std")
    rejected(lambda m: m.metadata.update({"score.map_sigma": Meta.f32(65.0)}), "map_sigma")
    rejected(lambda m: m.metadata.update({"score.map_sigma": Meta.u32(8)}), "map_sigma")
    rejected(lambda m: m.metadata.update({"score.error_norm": Meta.string("std")}), "error_norm")
    rejected(lambda m: m.metadata.update({"score.error_norm": Meta.u32(1)}), "error_norm")
    rejected(lambda m: m.metadata.update({"Bad.Key": Meta.u32(1)}), r"\[a-z0-9._\]")
    rejected(lambda m: setattr(m.nodes[1], "inputs", [5]), "forward reference")
    rejected(lambda m: m.nodes.append(Node("sigmoid", [1])), "do not contribute")
    rejected(lambda m: m.nodes[1].attrs.update({"in_channels": 3}), "in_channels")


def test_duplicate_metadata_key_is_rejected(modelfile):
    blob = bytearray(serialize(modelfile))
    # Rename the second key to the first one (same length needed): model.name vs a 10-char key.
    first = b"model.name"
    keys = [k for k in modelfile.metadata if len(k) == len(first) and k != "model.name"]
    assert keys, "fixture needs another 10-character key"
    pos = blob.find(keys[0].encode())
    blob[pos:pos + len(first)] = first
    with pytest.raises(ModelFileError, match="duplicate"):
        parse(refresh_crc(blob))


def test_error_norm_sets_header_flag_0_and_the_two_must_agree(modelfile):
    """Readers from before score.error_norm require flags == 0: the flag makes them refuse such a
    file instead of scoring plain errors against a threshold in variance units."""
    plain = serialize(modelfile)
    assert struct.unpack_from("<I", plain, FLAGS_OFFSET)[0] == 0
    normed = ModelFile({**modelfile.metadata, "score.error_norm": Meta.string("variance")},
                       modelfile.nodes, modelfile.output, modelfile.tensors)
    blob = bytearray(serialize(normed))
    assert struct.unpack_from("<I", blob, FLAGS_OFFSET)[0] == 1
    struct.pack_into("<I", blob, FLAGS_OFFSET, 0)
    with pytest.raises(ModelFileError, match="flag 0x1"):
        parse(refresh_crc(blob))
    blob = bytearray(plain)
    struct.pack_into("<I", blob, FLAGS_OFFSET, 1)
    with pytest.raises(ModelFileError, match="flag 0x1"):
        parse(refresh_crc(blob))
    struct.pack_into("<I", blob, FLAGS_OFFSET, 2)
    with pytest.raises(ModelFileError, match="knows only"):
        parse(refresh_crc(blob))
