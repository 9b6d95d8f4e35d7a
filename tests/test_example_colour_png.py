"""The dominant-colour plugin's PNG reader (docs/examples/dominant_colour/png_colour.py, loaded
from its file as the runner loads it): every pixel of PNGs written by ffmpeg and ImageMagick in
each colour type, bit depth and filter is what ffmpeg itself decodes, and the dominant colour
is the exact colour of the biggest area."""

import importlib.util
import io
import subprocess

import pytest

from tests.conftest import require_tool
from tests.plugin_support import COLOUR_EXAMPLE

spec = importlib.util.spec_from_file_location("png_colour", COLOUR_EXAMPLE / "png_colour.py")
png_colour = importlib.util.module_from_spec(spec)
spec.loader.exec_module(png_colour)

TEST_PATTERN = ["-f", "lavfi", "-i", "testsrc2=s=37x23", "-frames:v", "1"]
TWO_COLOURS = ["-size", "20x20", "xc:#336699", "-fill", "#00ff00", "-draw", "rectangle 0,0 9,9"]


def run(tool: str, *arguments: str, given: bytes | None = None) -> bytes:
    command = [require_tool(tool), *arguments]
    return subprocess.run(command, input=given, capture_output=True, check=True).stdout


def ffmpeg_png(pixel_format: str, prediction: str) -> bytes:
    """ffmpeg's test pattern as a PNG of `pixel_format`, filtered with `prediction`."""
    return run(
        "ffmpeg",
        *("-v", "error", *TEST_PATTERN, "-pix_fmt", pixel_format, "-pred", prediction),
        *("-c:v", "png", "-f", "image2pipe", "-"),
    )


def ffmpeg_pixels(png: bytes, pixel_format: str = "rgba") -> bytes:
    """The PNG's pixels as ffmpeg decodes them, row after row."""
    arguments = ("-v", "error", "-f", "png_pipe", "-i", "-", "-f", "rawvideo")
    return run("ffmpeg", *arguments, "-pix_fmt", pixel_format, "-", given=png)


def rgba_of(png: bytes) -> tuple[object, bytes]:
    """The reader's header and pixels of the PNG, as RGBA bytes row after row."""
    image = png_colour.read_png(io.BytesIO(png))
    return image, bytes(value for row in image.rows() for pixel in row for value in pixel)


@pytest.mark.parametrize("prediction", ["none", "sub", "up", "avg", "paeth", "mixed"])
@pytest.mark.parametrize(
    ("pixel_format", "colour_type", "bit_depth"),
    [
        ("rgb24", 2, 8),
        ("rgba", 6, 8),
        ("gray", 0, 8),
        ("ya8", 4, 8),
        ("pal8", 3, 8),
        ("monob", 0, 1),
    ],
)
def test_8_bit_and_smaller_pngs_read_as_ffmpeg_reads_them(
    pixel_format, colour_type, bit_depth, prediction
):
    png = ffmpeg_png(pixel_format, prediction)
    image, pixels = rgba_of(png)
    assert (image.colour_type, image.bit_depth, image.interlaced) == (colour_type, bit_depth, False)
    assert pixels == ffmpeg_pixels(png)


@pytest.mark.parametrize(
    ("pixel_format", "colour_type"),
    [("rgb48be", 2), ("rgba64be", 6), ("gray16be", 0), ("ya16be", 4)],
)
def test_16_bit_pngs_read_as_the_nearest_8_bit_values(pixel_format, colour_type):
    png = ffmpeg_png(pixel_format, "paeth")
    image, pixels = rgba_of(png)
    assert (image.colour_type, image.bit_depth) == (colour_type, 16)
    wide = ffmpeg_pixels(png, "rgba64be")
    samples = [int.from_bytes(wide[i : i + 2], "big") for i in range(0, len(wide), 2)]
    assert list(pixels) == [(sample * 255 + 32767) // 65535 for sample in samples]


@pytest.mark.parametrize(
    ("arguments", "colour_type", "bit_depth"),
    [
        (["-define", "png:bit-depth=1", "png8:-"], 3, 1),
        (["-define", "png:bit-depth=2", "png8:-"], 3, 2),
        (["-colorspace", "gray", "-depth", "2", "png:-"], 0, 2),
        (["-colorspace", "gray", "-depth", "4", "-define", "png:bit-depth=4", "png:-"], 0, 4),
        (["-transparent", "#00ff00", "-define", "png:color-type=2", "png:-"], 2, 8),
    ],
)
def test_imagemagick_palettes_small_depths_and_colour_keys_read_as_ffmpeg_reads_them(
    arguments, colour_type, bit_depth
):
    png = run("convert", *TWO_COLOURS, *arguments)
    image, pixels = rgba_of(png)
    assert (image.colour_type, image.bit_depth) == (colour_type, bit_depth)
    assert pixels == ffmpeg_pixels(png)


def test_an_interlaced_png_is_read_from_its_first_pass_every_8th_pixel_each_way():
    png = run(
        "convert",
        *("-size", "37x23", "gradient:red-blue", "-depth", "8", "-interlace", "PNG"),
        *("-define", "png:color-type=2", "png:-"),
    )
    image, pixels = rgba_of(png)
    assert (image.interlaced, image.row_size()) == (True, (5, 3))
    whole = ffmpeg_pixels(png)
    every_8th = [whole[(y * 37 + x) * 4 :][:4] for y in range(0, 23, 8) for x in range(0, 37, 8)]
    assert pixels == b"".join(every_8th)


@pytest.mark.parametrize(
    ("arguments", "colour"),
    [
        (["png24:-"], "#336699"),  # the three quarters that are blue-grey win
        (["-transparent", "#336699", "png32:-"], "#00ff00"),  # transparent pixels count nothing
        (["-channel", "A", "-evaluate", "set", "0", "+channel", "png32:-"], None),
        (["-interlace", "PNG", "png24:-"], "#336699"),
    ],
)
def test_the_dominant_colour_is_the_biggest_visible_area(arguments, colour):
    png = run("convert", *TWO_COLOURS, *arguments)
    assert png_colour.dominant_colour(io.BytesIO(png)) == colour


def test_a_big_png_is_sampled_on_a_grid():
    png = run("convert", "-size", "2000x300", "xc:#808000", "png24:-")
    assert png_colour.dominant_colour(io.BytesIO(png)) == "#808000"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda png: b"GIF89a" + png[6:], "not a PNG file"),
        (lambda png: png[: len(png) // 2], "the PNG ends inside its b'IDAT' chunk"),
        (lambda png: png[:20] + bytes([png[20] ^ 1]) + png[21:], r"IHDR' chunk is damaged"),
    ],
)
def test_a_broken_png_is_a_value_error_saying_what_is_wrong(damage, message):
    png = run("convert", *TWO_COLOURS, "-strip", "png24:-")
    with pytest.raises(ValueError, match=message):
        png_colour.dominant_colour(io.BytesIO(damage(png)))
