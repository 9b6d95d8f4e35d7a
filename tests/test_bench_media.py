"""bench/media.py run small as the real script (real ffmpeg, real Chromium), so it cannot rot:
every part runs and prints its row, the gallery fetches thumbnails and no original, ffmpeg
makes both sizes from one decode, and the temp folder is gone. Nothing is timed."""

import pytest

from tests.conftest import require_tool
from tests.support import run_bench
from tests.ui_support import CHROMIUM, sync_playwright


@pytest.mark.slow
def test_media_bench_runs_small_and_leaves_nothing_behind():
    require_tool("ffmpeg")
    if sync_playwright is None or not CHROMIUM.exists():
        pytest.skip("Playwright and /usr/bin/chromium are needed (pip install -e '.[test]')")
    output = run_bench("media.py", "--images", "3", "--entities", "2", "--rounds", "1")
    for scale in ("1x", "2x"):
        assert f"| gallery of 2, {scale}, scrolled through | " in output
    assert output.count("(2 thumbnails, 0 originals requested)") == 4
    assert "| thumbnails of 3 images, both sizes (" in output
    assert "| upload 3 images, thumbnails on | " in output
    assert "stream mapping of one image: Stream #0:0 (mjpeg) -> split:default; " in output
