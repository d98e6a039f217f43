"""Regenerates the image fixtures of ImagingTests and prints the pixel values the tests expect.

Run with a Python that has Pillow (made with Pillow 12.0.0):  python make_fixtures.py
JPEG expectations are Pillow's own decode (ISLOW IDCT, fancy upsampling), which the Swift shim
must reproduce. PNGs are written by hand where Pillow cannot (16-bit RGBA, Adam7 interlacing).
"""
import struct
import zlib

from PIL import Image


def pattern(width, height, channels, seed):
    """Smooth-ish content with edges, so JPEG chroma upsampling and IDCT both matter."""
    values = []
    for y in range(height):
        for x in range(width):
            for c in range(channels):
                values.append((x * 29 + y * 47 + c * 83 + seed * 17 + (x * y * 7) % 31) % 256)
    return bytes(values)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png16_rgba_adam7(path, width, height):
    """16-bit RGBA, Adam7-interlaced, filter 0: exercises strip_16, strip_alpha and interlacing."""
    def sample(x, y, c):
        return (x * 4099 + y * 12011 + c * 20011 + 777) % 65536
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        xs = range(x0, width, dx)
        ys = range(y0, height, dy)
        if not xs or not ys:
            continue
        for y in ys:
            raw += b"\x00" + b"".join(struct.pack(">HHHH", *(sample(x, y, c) for c in range(4))) for x in xs)
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 1)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw))
                + png_chunk(b"IEND", b""))
    return [sample(x, y, c) >> 8 for y in range(height) for x in range(width) for c in range(3)]


def show(name, data):
    print(f"{name} ({len(data)} values):")
    print(", ".join(str(v) for v in data))


def main():
    gray = Image.frombytes("L", (7, 5), pattern(7, 5, 1, 1))
    gray.save("gray_7x5.jpg", quality=85)
    rgb = Image.frombytes("RGB", (13, 9), pattern(13, 9, 3, 2))
    rgb.save("rgb420_13x9.jpg", quality=90, subsampling=2)
    progressive = Image.frombytes("RGB", (10, 6), pattern(10, 6, 3, 3))
    progressive.save("rgb422_progressive_10x6.jpg", quality=80, subsampling=1, progressive=True)
    Image.frombytes("CMYK", (4, 4), pattern(4, 4, 4, 4)).save("cmyk_4x4.jpg", quality=90)
    for name in ["gray_7x5.jpg", "rgb420_13x9.jpg", "rgb422_progressive_10x6.jpg"]:
        show(name, Image.open(name).tobytes())

    palette = Image.frombytes("L", (5, 3), bytes(range(0, 15))).convert("P")
    palette.putpalette([(i * 53) % 256 for i in range(3 * 256)])
    palette.info["transparency"] = 2
    palette.save("palette_trns_5x3.png", transparency=2)
    show("palette_trns_5x3.png", Image.open("palette_trns_5x3.png").convert("RGB").tobytes())
    Image.frombytes("LA", (4, 3), pattern(4, 3, 2, 5)).save("gray_alpha_4x3.png")
    show("gray_alpha_4x3.png", Image.open("gray_alpha_4x3.png").convert("L").tobytes())
    bits = Image.frombytes("L", (9, 2), bytes(255 * ((i * 5) % 3 == 0) for i in range(18))).convert("1")
    bits.save("gray1bit_9x2.png")
    show("gray1bit_9x2.png", Image.open("gray1bit_9x2.png").convert("L").tobytes())
    show("rgba16_adam7_5x5.png", write_png16_rgba_adam7("rgba16_adam7_5x5.png", 5, 5))


if __name__ == "__main__":
    main()
