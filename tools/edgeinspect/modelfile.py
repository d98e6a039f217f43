"""Writer and reader of the EdgeInspect model file, version 1 (docs/model-format.md).

The writer emits the canonical layout: header, metadata, graph, tensor table, zero padding to 64,
then the data section with every payload (and every i8 scale vector) at a multiple of 64 from the
data start; the file ends right after the last payload. The reader validates field by field like
the Swift reader and raises ModelFileError with a message naming the field.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
import torch

from .graph import ACTIVATION_NAMES, OP_CODES, OP_NAMES, Node, infer_shapes, unused_nodes

MAGIC = b"EDGEINSP"
VERSION = 1
HEADER_SIZE = 128
TABLE_ENTRY_SIZE = 96
ALIGN = 64
CHECKSUM_OFFSET = 88
FLAGS_OFFSET = 92
# Header flag bit 0: the file sets score.error_norm, which changes the score's units. Readers from
# before the key require flags == 0, so they refuse the file instead of ignoring the key.
FLAG_ERROR_NORM = 1
KNOWN_FLAGS = FLAG_ERROR_NORM


def required_flags(metadata: dict[str, "Meta"]) -> int:
    norm = metadata.get("score.error_norm")
    return 0 if norm is None or norm.value == "none" else FLAG_ERROR_NORM

META_U32, META_F32, META_STRING, META_F32_ARRAY, META_U32_ARRAY = 1, 2, 3, 4, 5
DTYPE_F32, DTYPE_F16, DTYPE_I8 = 0, 1, 2
DTYPE_NAMES = {DTYPE_F32: "f32", DTYPE_F16: "f16", DTYPE_I8: "i8"}
DTYPE_SIZES = {DTYPE_F32: 4, DTYPE_F16: 2, DTYPE_I8: 1}
DTYPE_NUMPY = {DTYPE_F32: np.dtype("<f4"), DTYPE_F16: np.dtype("<f2"), DTYPE_I8: np.dtype("i1")}

MAX_META_ENTRIES = 1024
MAX_META_ARRAY = 4096
MAX_NODES = 4096
MAX_TENSORS = 4096
U64_MAX = (1 << 64) - 1

# Fixed op arity: (min inputs, max inputs, attribute count, min tensors, max tensors).
OP_ARITY = {
    "conv2d": (1, 1, 12, 1, 2),
    "relu": (1, 1, 0, 0, 0),
    "leaky_relu": (1, 1, 1, 0, 0),
    "silu": (1, 1, 0, 0, 0),
    "sigmoid": (1, 1, 0, 0, 0),
    "upsample_nearest": (1, 1, 1, 0, 0),
    "upsample_bilinear": (1, 1, 1, 0, 0),
    "concat": (2, 64, 0, 0, 0),
    "add": (2, 2, 0, 0, 0),
    "mix": (3, 3, 0, 0, 0),
}

# Required metadata keys and their value types.
REQUIRED_META = {
    "model.name": META_STRING,
    "input.channels": META_U32,
    "input.mean": META_F32_ARRAY,
    "input.std": META_F32_ARRAY,
    "input.size_multiple": META_U32,
    "input.pad_mode": META_STRING,
    "input.resize": META_U32_ARRAY,
    "score.sigma": META_F32,
    "score.reduce": META_STRING,
    "score.scale": META_F32,
    "score.threshold": META_F32,
}
OPTIONAL_META_TYPES = {
    "model.producer": META_STRING, "train.dataset": META_STRING, "train.command": META_STRING,
    "train.licence": META_STRING, "calib.method": META_STRING, "calib.images": META_U32,
    "calib.quantile": META_F32,
    "quant.act_scales": META_F32_ARRAY, "quant.method": META_STRING, "score.border": META_U32,
    "score.map_sigma": META_F32, "score.map_threshold": META_F32, "score.error_norm": META_STRING,
}
MAX_SCORE_BORDER = 4096
# Per-node input activation scales for int8 compute (docs/model-format.md, "int8 compute").
ACT_SCALES_KEY = "quant.act_scales"


class ModelFileError(ValueError):
    """A model file that does not follow docs/model-format.md."""


@dataclass
class Meta:
    """One typed metadata value."""
    kind: int
    value: object

    @staticmethod
    def u32(v: int) -> "Meta":
        return Meta(META_U32, int(v))

    @staticmethod
    def f32(v: float) -> "Meta":
        return Meta(META_F32, float(np.float32(v)))

    @staticmethod
    def string(v: str) -> "Meta":
        return Meta(META_STRING, str(v))

    @staticmethod
    def f32s(v) -> "Meta":
        return Meta(META_F32_ARRAY, [float(np.float32(x)) for x in v])

    @staticmethod
    def u32s(v) -> "Meta":
        return Meta(META_U32_ARRAY, [int(x) for x in v])


@dataclass
class Tensor:
    """A tensor table entry with its payload: `data` has the stored dtype (float32, float16 or
    int8); `scales` holds the per-output-channel f32 scales of an i8 tensor."""
    name: str
    data: np.ndarray
    scales: np.ndarray | None = None

    @property
    def dtype(self) -> int:
        if self.data.dtype == np.float32:
            return DTYPE_F32
        if self.data.dtype == np.float16:
            return DTYPE_F16
        if self.data.dtype == np.int8:
            return DTYPE_I8
        raise ModelFileError(f"tensor {self.name}: unsupported numpy dtype {self.data.dtype}")

    def dequantised(self) -> np.ndarray:
        """The float32 values the runtime computes with."""
        if self.dtype == DTYPE_I8:
            shape = (-1,) + (1,) * (self.data.ndim - 1)
            return (self.scales.astype(np.float32).reshape(shape)
                    * self.data.astype(np.float32)).astype(np.float32)
        return self.data.astype(np.float32)


@dataclass
class ModelFile:
    metadata: dict[str, Meta]
    nodes: list[Node]
    output: int
    tensors: list[Tensor] = field(default_factory=list)

    def meta(self, key: str):
        return self.metadata[key].value

    def params(self) -> dict[str, torch.Tensor]:
        """Dequantised float32 parameters by tensor name, for graph.run_graph."""
        return {t.name: torch.from_numpy(t.dequantised().copy()) for t in self.tensors}

    def int8_nodes(self) -> dict[int, tuple[float, torch.Tensor, torch.Tensor]]:
        """Nodes that run in int8 (quant.act_scales > 0): node index -> (input activation scale,
        int8 weight values as float64, per-output-channel weight scales as float32)."""
        if ACT_SCALES_KEY not in self.metadata:
            return {}
        by_name = {t.name: t for t in self.tensors}
        out = {}
        for index, scale in enumerate(self.meta(ACT_SCALES_KEY)):
            if scale > 0:
                w = by_name[self.nodes[index].weight]
                out[index] = (float(scale), torch.from_numpy(w.data.astype(np.float64)),
                              torch.from_numpy(w.scales.astype(np.float32)))
        return out


# ---------------------------------------------------------------- quantisation

def quantize_int8(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel int8: scale = max|w| / 127 (as f32), q = round(w / scale)
    clipped to [-127, 127]. A channel of zeros gets scale 1 so that every scale stays positive."""
    w64 = np.asarray(w, dtype=np.float64)
    flat = w64.reshape(w64.shape[0], -1)
    maxabs = np.abs(flat).max(axis=1)
    scales = (maxabs / 127.0).astype(np.float32)
    scales[scales <= 0] = np.float32(1.0)
    q = np.rint(flat / scales.astype(np.float64)[:, None])
    q = np.clip(q, -127, 127).astype(np.int8).reshape(w64.shape)
    return q, scales


def make_tensor(name: str, w: np.ndarray, dtype: str) -> Tensor:
    """A weight tensor in the requested storage dtype ('f32', 'f16' or 'i8')."""
    w = np.asarray(w, dtype=np.float32)
    if dtype == "f32":
        return Tensor(name, w.copy())
    if dtype == "f16":
        return Tensor(name, w.astype(np.float16))
    if dtype == "i8":
        q, scales = quantize_int8(w)
        return Tensor(name, q, scales)
    raise ValueError(f"unknown dtype {dtype}")


# ---------------------------------------------------------------- writer

def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _encode_metadata(metadata: dict[str, Meta]) -> bytes:
    out = bytearray(struct.pack("<I", len(metadata)))
    for key, m in metadata.items():
        kb = key.encode("ascii")
        out += struct.pack("<H", len(kb)) + kb + struct.pack("<B", m.kind)
        if m.kind == META_U32:
            out += struct.pack("<I", m.value)
        elif m.kind == META_F32:
            out += struct.pack("<f", m.value)
        elif m.kind == META_STRING:
            sb = m.value.encode("utf-8")
            out += struct.pack("<I", len(sb)) + sb
        elif m.kind == META_F32_ARRAY:
            out += struct.pack(f"<I{len(m.value)}f", len(m.value), *m.value)
        elif m.kind == META_U32_ARRAY:
            out += struct.pack(f"<I{len(m.value)}I", len(m.value), *m.value)
        else:
            raise ModelFileError(f"metadata {key}: unknown value type {m.kind}")
    return bytes(out)


def _encode_graph(nodes: list[Node], output: int, index_of: dict[str, int]) -> bytes:
    out = bytearray(struct.pack("<II", len(nodes), output))
    for node in nodes:
        words = node.attr_words()
        tensors = [index_of[n] for n in node.tensor_names()]
        out += struct.pack("<HHHH", OP_CODES[node.op], len(node.inputs), len(words), len(tensors))
        out += struct.pack(f"<{len(node.inputs)}I", *node.inputs)
        out += struct.pack(f"<{len(words)}I", *words)
        out += struct.pack(f"<{len(tensors)}I", *tensors)
    return bytes(out)


def serialize(mf: ModelFile) -> bytes:
    """The canonical bytes of a model file (validated by parsing them back)."""
    index_of = {t.name: i for i, t in enumerate(mf.tensors)}
    if len(index_of) != len(mf.tensors):
        raise ModelFileError("tensor names must be unique")
    meta = _encode_metadata(mf.metadata)
    graph = _encode_graph(mf.nodes, mf.output, index_of)
    table_off = HEADER_SIZE + len(meta) + len(graph)
    data_off = _align(table_off + TABLE_ENTRY_SIZE * len(mf.tensors))

    table = bytearray()
    data = bytearray()
    for t in mf.tensors:
        name = t.name.encode("utf-8")
        if len(name) > 32:
            raise ModelFileError(f"tensor name {t.name!r} is longer than 32 bytes")
        payload = np.ascontiguousarray(t.data).astype(DTYPE_NUMPY[t.dtype], copy=False).tobytes()
        data += b"\0" * (_align(len(data)) - len(data))
        offset = len(data)
        data += payload
        scale_off = scale_count = 0
        if t.dtype == DTYPE_I8:
            data += b"\0" * (_align(len(data)) - len(data))
            scale_off = len(data)
            scale_count = len(t.scales)
            data += np.asarray(t.scales, dtype="<f4").tobytes()
        dims = list(t.data.shape) + [0] * (4 - t.data.ndim)
        table += name.ljust(32, b"\0")
        table += struct.pack("<BBH4II", t.dtype, t.data.ndim, 0, *dims, 0)
        table += struct.pack("<QQQQQ", offset, len(payload), scale_off, scale_count, 0)

    file_size = data_off + len(data)
    header = bytearray(HEADER_SIZE)
    struct.pack_into("<8sII", header, 0, MAGIC, VERSION, HEADER_SIZE)
    struct.pack_into("<QQQQQQQQQ", header, 16, file_size, HEADER_SIZE, len(meta),
                     HEADER_SIZE + len(meta), len(graph), table_off, len(mf.tensors),
                     data_off, len(data))
    struct.pack_into("<I", header, FLAGS_OFFSET, required_flags(mf.metadata))
    body = bytes(header) + meta + graph + bytes(table)
    blob = bytearray(body + b"\0" * (data_off - len(body)) + bytes(data))
    struct.pack_into("<I", blob, CHECKSUM_OFFSET, zlib.crc32(bytes(blob)) & 0xFFFFFFFF)
    blob = bytes(blob)
    parse(blob)  # never write a file our own reader rejects
    return blob


def write(path: str, mf: ModelFile) -> int:
    blob = serialize(mf)
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


# ---------------------------------------------------------------- reader

class _Cursor:
    def __init__(self, blob: bytes, start: int, end: int, what: str):
        self.blob, self.pos, self.end, self.what = blob, start, end, what

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > self.end:
            raise ModelFileError(f"{self.what}: truncated at byte {self.pos}")
        vals = struct.unpack_from(fmt, self.blob, self.pos)
        self.pos += size
        return vals

    def raw(self, n: int) -> bytes:
        if self.pos + n > self.end:
            raise ModelFileError(f"{self.what}: truncated at byte {self.pos}")
        b = self.blob[self.pos:self.pos + n]
        self.pos += n
        return b


def _checked_add(a: int, b: int, what: str) -> int:
    s = a + b
    if s > U64_MAX:
        raise ModelFileError(f"{what}: offset + size overflows 64 bits")
    return s


def _finite(values, what: str):
    for v in values:
        if not math.isfinite(v):
            raise ModelFileError(f"{what}: value is not finite")


def _parse_metadata(blob: bytes, off: int, size: int) -> dict[str, Meta]:
    cur = _Cursor(blob, off, off + size, "metadata")
    (count,) = cur.take("<I")
    if count > MAX_META_ENTRIES:
        raise ModelFileError(f"metadata: {count} entries (max {MAX_META_ENTRIES})")
    allowed = set(b"abcdefghijklmnopqrstuvwxyz0123456789._")
    out: dict[str, Meta] = {}
    for _ in range(count):
        (klen,) = cur.take("<H")
        if not 1 <= klen <= 64:
            raise ModelFileError(f"metadata: key length {klen} not in 1..64")
        kb = cur.raw(klen)
        if not set(kb) <= allowed:
            raise ModelFileError(f"metadata: key {kb!r} has characters outside [a-z0-9._]")
        key = kb.decode("ascii")
        if key in out:
            raise ModelFileError(f"metadata: duplicate key {key}")
        (kind,) = cur.take("<B")
        if kind == META_U32:
            value = cur.take("<I")[0]
        elif kind == META_F32:
            value = cur.take("<f")[0]
            _finite([value], f"metadata {key}")
        elif kind == META_STRING:
            (n,) = cur.take("<I")
            if n > 4096:
                raise ModelFileError(f"metadata {key}: string of {n} bytes (max 4096)")
            try:
                value = cur.raw(n).decode("utf-8")
            except UnicodeDecodeError as e:
                raise ModelFileError(f"metadata {key}: invalid UTF-8") from e
        elif kind in (META_F32_ARRAY, META_U32_ARRAY):
            (n,) = cur.take("<I")
            if n > MAX_META_ARRAY:
                raise ModelFileError(f"metadata {key}: array of {n} (max {MAX_META_ARRAY})")
            value = list(cur.take(f"<{n}{'f' if kind == META_F32_ARRAY else 'I'}"))
            if kind == META_F32_ARRAY:
                _finite(value, f"metadata {key}")
        else:
            raise ModelFileError(f"metadata {key}: unknown value type {kind}")
        out[key] = Meta(kind, value)
    if cur.pos != cur.end:
        raise ModelFileError(f"metadata: {cur.end - cur.pos} bytes left after the last entry")
    return out


def _check_required_meta(meta: dict[str, Meta]):
    for key, kind in {**REQUIRED_META, **OPTIONAL_META_TYPES}.items():
        if key not in meta:
            if key in REQUIRED_META:
                raise ModelFileError(f"metadata: required key {key} is missing")
            continue
        if meta[key].kind != kind:
            raise ModelFileError(f"metadata {key}: value type {meta[key].kind}, expected {kind}")
    v = {k: m.value for k, m in meta.items()}
    ch = v["input.channels"]
    if ch not in (1, 3):
        raise ModelFileError(f"metadata input.channels: {ch} (must be 1 or 3)")
    for key in ("input.mean", "input.std"):
        if len(v[key]) != ch:
            raise ModelFileError(f"metadata {key}: {len(v[key])} values for {ch} channels")
    if any(s <= 0 for s in v["input.std"]):
        raise ModelFileError("metadata input.std: must be > 0")
    if not 1 <= v["input.size_multiple"] <= 1024:
        raise ModelFileError("metadata input.size_multiple: must be in 1..1024")
    if v["input.pad_mode"] not in ("replicate", "zero"):
        raise ModelFileError(f"metadata input.pad_mode: {v['input.pad_mode']!r}")
    resize = v["input.resize"]
    if len(resize) != 2 or ((resize[0] == 0) != (resize[1] == 0)):
        raise ModelFileError(f"metadata input.resize: {resize} (two values, both zero or both > 0)")
    if not 0 <= v["score.sigma"] <= 64:
        raise ModelFileError("metadata score.sigma: must be in 0..64")
    if not 0 <= v.get("score.map_sigma", 0) <= 64:
        raise ModelFileError("metadata score.map_sigma: must be in 0..64")
    if v.get("score.error_norm", "none") not in ("none", "variance"):
        raise ModelFileError(f"metadata score.error_norm: {v['score.error_norm']!r} (none or variance)")
    if v["score.reduce"] not in ("max", "mean"):
        raise ModelFileError(f"metadata score.reduce: {v['score.reduce']!r}")
    if v.get("score.border", 0) > MAX_SCORE_BORDER:
        raise ModelFileError(f"metadata score.border: must be in 0..{MAX_SCORE_BORDER}")
    if v["score.scale"] <= 0:
        raise ModelFileError("metadata score.scale: must be > 0")
    if v["score.threshold"] <= 0:
        raise ModelFileError("metadata score.threshold: must be > 0")
    if v.get("score.map_threshold", 1.0) <= 0:
        raise ModelFileError("metadata score.map_threshold: must be > 0")


def _parse_graph(blob: bytes, off: int, size: int, names: list[str]):
    cur = _Cursor(blob, off, off + size, "graph")
    count, output = cur.take("<II")
    if not 1 <= count <= MAX_NODES:
        raise ModelFileError(f"graph: node count {count} not in 1..{MAX_NODES}")
    if not 1 <= output <= count:
        raise ModelFileError(f"graph: output value {output} not in 1..{count}")
    nodes = []
    raw_tensors = []
    for index in range(count):
        op_code, n_in, n_attr, n_tensor = cur.take("<HHHH")
        if op_code not in OP_NAMES:
            raise ModelFileError(f"graph node {index}: unknown op {op_code}")
        op = OP_NAMES[op_code]
        lo_in, hi_in, attrs_want, lo_t, hi_t = OP_ARITY[op]
        if not lo_in <= n_in <= hi_in or n_attr != attrs_want or not lo_t <= n_tensor <= hi_t:
            raise ModelFileError(f"graph node {index} ({op}): arity {n_in}/{n_attr}/{n_tensor} is wrong")
        inputs = list(cur.take(f"<{n_in}I"))
        words = list(cur.take(f"<{n_attr}I"))
        tensors = list(cur.take(f"<{n_tensor}I"))
        for v in inputs:
            if v > index:
                raise ModelFileError(f"graph node {index}: reads value {v} (forward reference: cycle)")
        for t in tensors:
            if t >= len(names):
                raise ModelFileError(f"graph node {index}: tensor index {t} out of range")
        node = Node.from_words(op_code, inputs, words, [names[t] for t in tensors]) \
            if op != "conv2d" or words[10] in ACTIVATION_NAMES else None
        if node is None:
            raise ModelFileError(f"graph node {index}: unknown activation {words[10]}")
        _check_node_attrs(index, node)
        nodes.append(node)
        raw_tensors.append(tensors)
    if cur.pos != cur.end:
        raise ModelFileError(f"graph: {cur.end - cur.pos} bytes left after the last node")
    return nodes, output, raw_tensors


def _check_node_attrs(index: int, node: Node):
    a = node.attrs
    where = f"graph node {index} ({node.op})"
    if node.op == "conv2d":
        limits = {"out_channels": (1, 4096), "in_channels": (1, 4096), "kernel_h": (1, 15),
                  "kernel_w": (1, 15), "stride_h": (1, 4), "stride_w": (1, 4), "pad_h": (0, 64),
                  "pad_w": (0, 64), "dilation_h": (1, 16), "dilation_w": (1, 16)}
        for key, (lo, hi) in limits.items():
            if not lo <= a[key] <= hi:
                raise ModelFileError(f"{where}: {key} {a[key]} not in {lo}..{hi}")
        _finite([a["alpha"]], f"{where} alpha")
    elif node.op == "leaky_relu":
        _finite([a["alpha"]], f"{where} alpha")
    elif node.op in ("upsample_nearest", "upsample_bilinear"):
        if not 2 <= a["scale"] <= 8:
            raise ModelFileError(f"{where}: scale {a['scale']} not in 2..8")


def _parse_tensors(blob: bytes, table_off: int, count: int, data_off: int, data_size: int):
    tensors = []
    for i in range(count):
        base = table_off + i * TABLE_ENTRY_SIZE
        raw_name = blob[base:base + 32]
        name_bytes = raw_name.split(b"\0", 1)[0]
        if raw_name[len(name_bytes):].strip(b"\0"):
            raise ModelFileError(f"tensor {i}: bytes after the name's NUL are not zero")
        try:
            name = name_bytes.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ModelFileError(f"tensor {i}: name is not UTF-8") from e
        dtype, rank, res16, d0, d1, d2, d3, res32 = struct.unpack_from("<BBH4II", blob, base + 32)
        offset, nbytes, scale_off, scale_count, res64 = struct.unpack_from("<QQQQQ", blob, base + 56)
        where = f"tensor {i} ({name})"
        if dtype not in DTYPE_SIZES:
            raise ModelFileError(f"{where}: unknown dtype {dtype}")
        if not 1 <= rank <= 4:
            raise ModelFileError(f"{where}: rank {rank} not in 1..4")
        if res16 or res32 or res64:
            raise ModelFileError(f"{where}: reserved fields are not zero")
        dims = [d0, d1, d2, d3]
        if any(not 1 <= d <= 65536 for d in dims[:rank]) or any(dims[rank:]):
            raise ModelFileError(f"{where}: dims {dims} invalid for rank {rank}")
        elements = int(np.prod(dims[:rank]))
        if nbytes != elements * DTYPE_SIZES[dtype]:
            raise ModelFileError(f"{where}: byte size {nbytes} != {elements} x {DTYPE_SIZES[dtype]}")
        if offset % ALIGN:
            raise ModelFileError(f"{where}: offset {offset} is not a multiple of {ALIGN}")
        if _checked_add(offset, nbytes, where) > data_size:
            raise ModelFileError(f"{where}: payload runs past the data section")
        start = data_off + offset
        data = np.frombuffer(blob, dtype=DTYPE_NUMPY[dtype], count=elements, offset=start)
        data = data.reshape(dims[:rank]).copy()
        scales = None
        if dtype == DTYPE_I8:
            if scale_off % ALIGN:
                raise ModelFileError(f"{where}: scale offset {scale_off} is not a multiple of {ALIGN}")
            if scale_count != dims[0]:
                raise ModelFileError(f"{where}: scale count {scale_count} != dims[0] {dims[0]}")
            if _checked_add(scale_off, 4 * scale_count, where) > data_size:
                raise ModelFileError(f"{where}: scales run past the data section")
            scales = np.frombuffer(blob, dtype="<f4", count=scale_count,
                                   offset=data_off + scale_off).copy()
            if not np.all(np.isfinite(scales)) or np.any(scales <= 0):
                raise ModelFileError(f"{where}: scales must be finite and positive")
            if np.any(data == -128):
                raise ModelFileError(f"{where}: i8 value -128 (range is -127..127)")
            data = data.astype(np.int8)
        else:
            if scale_off or scale_count:
                raise ModelFileError(f"{where}: scale fields set on a non-i8 tensor")
            if not np.all(np.isfinite(data.astype(np.float32))):
                raise ModelFileError(f"{where}: payload has non-finite values")
            data = data.astype(np.float32 if dtype == DTYPE_F32 else np.float16)
        tensors.append(Tensor(name, data, scales))
    return tensors


def parse(blob: bytes) -> ModelFile:
    if len(blob) < HEADER_SIZE:
        raise ModelFileError(f"file of {len(blob)} bytes is shorter than the header")
    magic, version, header_size = struct.unpack_from("<8sII", blob, 0)
    if magic != MAGIC:
        raise ModelFileError(f"magic {magic!r} is not {MAGIC!r}")
    if version != VERSION:
        raise ModelFileError(f"version {version} is not supported (expected {VERSION})")
    if header_size != HEADER_SIZE:
        raise ModelFileError(f"header size {header_size} is not {HEADER_SIZE}")
    (file_size, meta_off, meta_size, graph_off, graph_size, table_off, tensor_count,
     data_off, data_size) = struct.unpack_from("<9Q", blob, 16)
    checksum, flags = struct.unpack_from("<II", blob, CHECKSUM_OFFSET)
    if file_size != len(blob):
        raise ModelFileError(f"header file size {file_size} != real size {len(blob)}")
    zeroed = bytearray(blob)
    zeroed[CHECKSUM_OFFSET:CHECKSUM_OFFSET + 4] = b"\0\0\0\0"
    actual = zlib.crc32(bytes(zeroed)) & 0xFFFFFFFF
    if actual != checksum:
        raise ModelFileError(f"checksum {checksum:#010x} != computed {actual:#010x}")
    if flags & ~KNOWN_FLAGS:
        raise ModelFileError(f"header flags {flags:#x}: this reader knows only {KNOWN_FLAGS:#x} (score.error_norm)")
    if any(blob[96:128]):
        raise ModelFileError("reserved header bytes are not zero")
    if meta_off != HEADER_SIZE:
        raise ModelFileError(f"metadata offset {meta_off} is not {HEADER_SIZE}")
    if graph_off != _checked_add(meta_off, meta_size, "metadata"):
        raise ModelFileError("graph offset != metadata offset + metadata size")
    if table_off != _checked_add(graph_off, graph_size, "graph"):
        raise ModelFileError("tensor table offset != graph offset + graph size")
    if tensor_count > MAX_TENSORS:
        raise ModelFileError(f"tensor count {tensor_count} (max {MAX_TENSORS})")
    table_end = _checked_add(table_off, TABLE_ENTRY_SIZE * tensor_count, "tensor table")
    if data_off != _align(table_end):
        raise ModelFileError(f"data offset {data_off} != first multiple of 64 after table end {table_end}")
    if data_off > file_size or data_size != file_size - data_off:
        raise ModelFileError(f"data size {data_size} != file size - data offset")
    if any(blob[table_end:data_off]):
        raise ModelFileError("padding before the data section is not zero")

    metadata = _parse_metadata(blob, meta_off, meta_size)
    _check_required_meta(metadata)
    if flags != required_flags(metadata):
        raise ModelFileError(f"header flag {FLAG_ERROR_NORM:#x} (score.error_norm) does not match the metadata: it "
                             "must be set exactly when score.error_norm is present and not 'none'")
    tensors = _parse_tensors(blob, table_off, tensor_count, data_off, data_size)
    names = [t.name for t in tensors]
    unique = [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]
    for t, n in zip(tensors, unique):
        t.name = n
    nodes, output, raw_tensors = _parse_graph(blob, graph_off, graph_size, unique)

    for index, (node, idx) in enumerate(zip(nodes, raw_tensors)):
        if node.op != "conv2d":
            continue
        w = tensors[idx[0]]
        if w.data.ndim != 4:
            raise ModelFileError(f"graph node {index}: weight tensor must have rank 4")
        if len(idx) > 1 and (tensors[idx[1]].dtype != DTYPE_F32 or tensors[idx[1]].data.ndim != 1):
            raise ModelFileError(f"graph node {index}: bias must be an f32 vector")
    mult = metadata["input.size_multiple"].value
    probe = 8 * mult
    try:
        infer_shapes(nodes, output, {t.name: t.data.shape for t in tensors},
                     metadata["input.channels"].value, probe, probe)
    except ValueError as e:
        raise ModelFileError(f"graph shape check ({probe}x{probe} probe): {e}") from e
    dead = unused_nodes(nodes, output)
    if dead:
        raise ModelFileError(f"graph: nodes {dead} do not contribute to the output")
    _check_act_scales(metadata, nodes, {t.name: t for t in tensors})
    return ModelFile(metadata, nodes, output, tensors)


def _check_act_scales(metadata: dict[str, Meta], nodes: list[Node], tensors: dict[str, Tensor]):
    """quant.act_scales: one finite value per node, >= 0, non-zero only on conv2d with i8 weights."""
    if ACT_SCALES_KEY not in metadata:
        return
    scales = metadata[ACT_SCALES_KEY].value
    if len(scales) != len(nodes):
        raise ModelFileError(f"metadata {ACT_SCALES_KEY}: {len(scales)} values for {len(nodes)} nodes")
    for index, scale in enumerate(scales):
        if scale == 0:
            continue
        if scale < 0:
            raise ModelFileError(f"metadata {ACT_SCALES_KEY}[{index}]: {scale} (must be > 0, or 0 for float)")
        node = nodes[index]
        if node.op != "conv2d" or tensors[node.weight].dtype != DTYPE_I8:
            raise ModelFileError(f"metadata {ACT_SCALES_KEY}[{index}]: node {index} is not a conv2d "
                                 "with i8 weights")


def read(path: str) -> ModelFile:
    with open(path, "rb") as f:
        return parse(f.read())
