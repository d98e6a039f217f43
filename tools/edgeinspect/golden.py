"""Golden files: reference arrays the Swift tests compare against (format in tools/README.md).

magic "EIGOLDEN", u32 version = 1, u32 array count; per array: name u8[32] NUL-padded,
u32 rank, u32 dims[4] (0 past rank), then the f32 little-endian data in row-major order.
"""

from __future__ import annotations

import struct

import numpy as np

MAGIC = b"EIGOLDEN"
VERSION = 1


def write_golden(path: str, arrays: dict[str, np.ndarray]) -> int:
    out = bytearray(MAGIC + struct.pack("<II", VERSION, len(arrays)))
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr, dtype="<f4")
        nb = name.encode("utf-8")
        if len(nb) > 32 or not 1 <= arr.ndim <= 4:
            raise ValueError(f"golden array {name}: name too long or rank {arr.ndim} not in 1..4")
        dims = list(arr.shape) + [0] * (4 - arr.ndim)
        out += nb.ljust(32, b"\0") + struct.pack("<I4I", arr.ndim, *dims) + arr.tobytes()
    with open(path, "wb") as f:
        f.write(out)
    return len(out)


def read_golden(path: str) -> dict[str, np.ndarray]:
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != MAGIC:
        raise ValueError(f"{path}: not a golden file")
    version, count = struct.unpack_from("<II", blob, 8)
    if version != VERSION:
        raise ValueError(f"{path}: golden version {version}")
    pos = 16
    arrays = {}
    for _ in range(count):
        name = blob[pos:pos + 32].split(b"\0", 1)[0].decode("utf-8")
        rank, *dims = struct.unpack_from("<I4I", blob, pos + 32)
        pos += 52
        shape = tuple(dims[:rank])
        n = int(np.prod(shape))
        arrays[name] = np.frombuffer(blob, dtype="<f4", count=n, offset=pos).reshape(shape).copy()
        pos += 4 * n
    if pos != len(blob):
        raise ValueError(f"{path}: {len(blob) - pos} trailing bytes")
    return arrays
