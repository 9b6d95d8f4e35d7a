"""The dominant colour of a PNG, read with the standard library only (zlib and struct).

Thumbnails are WebP or JPEG, which Python cannot decode without a package, so this example
reads the original when it is a PNG. It handles every colour type (grey, RGB, palette, grey
with alpha, RGBA), bit depths 1 to 16 and the five filter types. Of an interlaced (Adam7) PNG
it reads only the first pass, every 8th pixel of every 8th row, which is a fair sample for a
dominant colour. The file is read as a stream, one row at a time, so memory stays small.
"""

import math
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type → samples per pixel
BIT_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
MAX_SAMPLES = 65_536  # pixels counted at most; bigger images are sampled with a stride
LEVELS_SHIFT = 4  # the histogram keeps 16 levels per channel


@dataclass
class Png:
    """A PNG's header, palette and transparency, and the rest of its chunks, not yet read."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlaced: bool
    palette: list[tuple[int, int, int, int]]
    transparent_key: tuple | None  # tRNS of grey and RGB images: the one transparent colour
    image_data: Iterator[bytes]  # the IDAT chunks' payloads

    def row_size(self) -> tuple[int, int]:
        """Width and height of what rows() yields: the image, or its first Adam7 pass."""
        if self.interlaced:
            return math.ceil(self.width / 8), math.ceil(self.height / 8)
        return self.width, self.height

    def rows(self, stride: int = 1) -> Iterator[list[tuple[int, int, int, int]]]:
        """Every `stride`-th row as (red, green, blue, alpha) pixels of 8 bits (of an
        interlaced image, the rows of its first pass). Each row is unfiltered, since the next
        one depends on it, but only those yielded become pixels."""
        width, height = self.row_size()
        for number, row in enumerate(unfiltered_rows(self, width, height)):
            if number % stride == 0:
                count = width * CHANNELS[self.colour_type]
                yield self.pixels(samples(row, self.bit_depth, count))

    def pixels(self, values: list[int]) -> list[tuple[int, int, int, int]]:
        """Samples of one row (8 bits each, palette indexes as they are) → RGBA pixels."""
        colour_type, key = self.colour_type, self.transparent_key
        if colour_type == 3:
            if max(values) >= len(self.palette):
                raise ValueError("a pixel's palette index is past the end of the palette (PLTE)")
            return [self.palette[index] for index in values]
        if colour_type == 6:
            return list(zip(*(values[channel::4] for channel in range(4)), strict=True))
        if colour_type == 4:
            grey_alpha = zip(values[::2], values[1::2], strict=True)
            return [(grey, grey, grey, alpha) for grey, alpha in grey_alpha]
        if colour_type == 2:
            rgb = zip(values[::3], values[1::3], values[2::3], strict=True)
            return [(*colour, 0 if colour == key else 255) for colour in rgb]
        scale = 255 // ((1 << min(self.bit_depth, 8)) - 1)  # 1-, 2- and 4-bit grey to 0..255
        return [
            (grey * scale, grey * scale, grey * scale, 0 if (grey,) == key else 255)
            for grey in values
        ]


def read_png(stream: BinaryIO) -> Png:
    """Read a PNG up to its image data; ValueError when it is not a PNG or is broken."""
    if stream.read(len(SIGNATURE)) != SIGNATURE:
        raise ValueError("not a PNG file")
    chunks = read_chunks(stream)
    kind, header = next(chunks, (None, b""))
    if kind != b"IHDR" or len(header) != 13:
        raise ValueError("the PNG does not start with its header (IHDR)")
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if bit_depth not in BIT_DEPTHS.get(colour_type, ()):
        raise ValueError(f"colour type {colour_type} with bit depth {bit_depth} is not valid")
    palette, transparency = [], b""
    for kind, data in chunks:
        if kind == b"PLTE":
            palette = [tuple(data[i : i + 3]) for i in range(0, len(data) - 2, 3)]
        elif kind == b"tRNS":
            transparency = data
        elif kind == b"IDAT":
            image_data = image_chunks(data, chunks)
            break
    else:
        raise ValueError("the PNG has no image data (IDAT)")
    alphas = list(transparency[: len(palette)]) + [255] * (len(palette) - len(transparency))
    return Png(
        width,
        height,
        bit_depth,
        colour_type,
        interlace == 1,
        [(*colour, alpha) for colour, alpha in zip(palette, alphas, strict=True)],
        transparent_key(transparency, colour_type, bit_depth),
        image_data,
    )


def read_chunks(stream: BinaryIO) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of each chunk up to IEND, each checked against its CRC."""
    while True:
        start = stream.read(8)
        if len(start) < 8:
            raise ValueError("the PNG ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", start)
        data, crc = stream.read(length), stream.read(4)
        if len(data) < length or len(crc) < 4:
            raise ValueError(f"the PNG ends inside its {kind!r} chunk")
        if zlib.crc32(kind + data) != struct.unpack(">I", crc)[0]:
            raise ValueError(f"the PNG's {kind!r} chunk is damaged (CRC mismatch)")
        if kind == b"IEND":
            return
        yield kind, data


def image_chunks(first: bytes, chunks: Iterator[tuple[bytes, bytes]]) -> Iterator[bytes]:
    """The first IDAT chunk's data and those of the IDAT chunks that follow it."""
    yield first
    for kind, data in chunks:
        if kind != b"IDAT":
            return
        yield data


def transparent_key(transparency: bytes, colour_type: int, bit_depth: int) -> tuple | None:
    """tRNS of a grey or RGB image, as samples() reads them (16-bit ones scaled to 8 bits)."""
    if colour_type not in (0, 2) or not transparency:
        return None
    values = struct.unpack(f">{len(transparency) // 2}H", transparency)
    return tuple(to_8_bits(value) if bit_depth == 16 else value for value in values)


def to_8_bits(value: int) -> int:
    """A 16-bit sample as the nearest 8-bit one."""
    return (value * 255 + 32767) // 65535


def unfiltered_rows(png: Png, width: int, height: int) -> Iterator[bytes]:
    """Inflate the image data a piece at a time and undo each row's filter."""
    channels_bits = CHANNELS[png.colour_type] * png.bit_depth
    row_length = (width * channels_bits + 7) // 8
    pixel_length = max(1, channels_bits // 8)  # the filters' "left" neighbour, in bytes
    inflater, pending, previous = zlib.decompressobj(), bytearray(), bytes(row_length)
    done = 0
    for piece in png.image_data:
        pending += inflater.decompress(piece)
        while done < height and len(pending) > row_length:
            filter_type, line = pending[0], pending[1 : row_length + 1]
            del pending[: row_length + 1]
            previous = unfilter(filter_type, line, previous, pixel_length)
            done += 1
            yield previous
        if done == height:
            return
    raise ValueError(f"the image data ends after {done} of {height} rows")


def unfilter(filter_type: int, line: bytearray, previous: bytes, pixel_length: int) -> bytes:
    """Undo one of the five PNG filters (None, Sub, Up, Average, Paeth) on one row. The first
    pixel has no left neighbour: its bytes count the left (and upper left) as 0."""
    if filter_type == 0:
        return bytes(line)
    if filter_type == 2:
        return bytes((value + above) & 255 for value, above in zip(line, previous, strict=True))
    if filter_type not in (1, 3, 4):
        raise ValueError(f"unknown PNG filter type {filter_type}")
    padded = bytes(pixel_length) + previous  # the row above, with the 0s left of its start
    line[:0] = bytes(pixel_length)  # the same for this row, taken off at the end
    for i in range(pixel_length, len(line)):
        if filter_type == 1:
            line[i] = (line[i] + line[i - pixel_length]) & 255
        elif filter_type == 3:
            line[i] = (line[i] + (line[i - pixel_length] + padded[i]) // 2) & 255
        else:
            line[i] = (
                line[i] + paeth(line[i - pixel_length], padded[i], padded[i - pixel_length])
            ) & 255
    return bytes(line[pixel_length:])


def paeth(left: int, above: int, upper_left: int) -> int:
    """The neighbour closest to left + above - upper_left (PNG specification, 9.4)."""
    estimate = left + above - upper_left
    to_left, to_above, to_upper_left = (
        abs(estimate - left),
        abs(estimate - above),
        abs(estimate - upper_left),
    )
    if to_left <= to_above and to_left <= to_upper_left:
        return left
    return above if to_above <= to_upper_left else upper_left


def samples(row: bytes, bit_depth: int, count: int) -> list[int]:
    """The row's `count` samples: bytes as they are, 16-bit samples scaled to 8 bits, and
    1-, 2- and 4-bit samples unpacked from their bytes."""
    if bit_depth == 8:
        return list(row)
    if bit_depth == 16:
        return [to_8_bits(value) for value in struct.unpack(f">{len(row) // 2}H", row)]
    per_byte, mask = 8 // bit_depth, (1 << bit_depth) - 1
    shifts = [8 - bit_depth * (k + 1) for k in range(per_byte)]
    return [(byte >> shift) & mask for byte in row for shift in shifts][:count]


def dominant_colour(stream: BinaryIO) -> str | None:
    """`#rrggbb`: the average of the most common colour, as 16 levels per channel, weighted
    by alpha; None when every pixel is fully transparent. At most MAX_SAMPLES pixels are
    counted, on a grid (every `stride`-th pixel of every `stride`-th row)."""
    png = read_png(stream)
    width, height = png.row_size()
    stride = max(1, math.ceil(math.sqrt(width * height / MAX_SAMPLES)))
    bins: dict[tuple[int, int, int], list[int]] = {}
    for row in png.rows(stride):
        for red, green, blue, alpha in row[::stride]:
            totals = bins.setdefault(
                (red >> LEVELS_SHIFT, green >> LEVELS_SHIFT, blue >> LEVELS_SHIFT), [0, 0, 0, 0]
            )
            totals[0] += alpha
            totals[1] += red * alpha
            totals[2] += green * alpha
            totals[3] += blue * alpha
    weight, *sums = max(bins.values(), default=[0, 0, 0, 0])
    if weight == 0:
        return None
    return "#" + "".join(f"{round(total / weight):02x}" for total in sums)
