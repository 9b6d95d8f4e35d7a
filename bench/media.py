"""Thumbnails (issue 14) against references measured in the same run.

    python bench/media.py                                       # 500 images, 50 entities
    python bench/media.py --images 40 --entities 10 --rounds 1  # a quick look

`--images` 12-megapixel JPEGs (4000x3000, 3-5 MB: ffmpeg's testsrc2 with noise, a few
sources, each copy with its own number in a JPEG comment so that every file has its own hash)
are made in a temp folder, then, each part with fresh homes (`python faceforge.py --port 0`,
ExifTool off):

1. gallery: `--entities` entities, each with one of the images as its picture; the bytes
   headless Chromium (the system's, driven by Playwright) downloads for the entity gallery
   page (CDP `Network.loadingFinished` encodedDataLength: HTML, scripts, API calls and
   pictures), first the screen it opens on, then scrolled through all tiles, at 1x and 2x
   pixel density, vs the originals' bytes. Target: <= 1/20.
2. thumbnails: the job `assets.thumbnails` (`only_missing: false`, timed by the server) vs
   the same ffmpeg command lines (`ffmpeg.thumbnail_command()`) in a shell script, one line
   per image, over the same files. Target: >= 0.8x. Before the rounds, ffmpeg's stream
   mapping of one image shows the one decode both sizes come from, and a sample is timed
   as it is and as one ffmpeg run per size.
3. uploads: the images uploaded one by one (raw bodies, keep-alive) to a home with
   thumbnails on vs one with `tools.thumbnails_enabled: false`. Target: unchanged, ~1.0x.
   The server is stopped right after the last upload; what ffmpeg does meanwhile on the
   same cores is part of the measure.

Parts 2 and 3 run `--rounds` rounds, the two sides taking turns; every round is printed, and
the ratios are the medians of the rounds' own ratios. The machine may be shared with other
work, so compare ratios, not absolute rates. The temp folder is removed at the end.
"""

import argparse
import itertools
import json
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import REPO_ROOT, median
from backup import server_seconds, wait_for_job
from entities import Api, start_server

sys.path.insert(0, str(REPO_ROOT))

from faceforge.assets import ffmpeg
from faceforge.assets.thumbnails import SIZES
from tests.ui_support import CHROMIUM, CHROMIUM_ARGS, IMAGES_IN_VIEW_LOADED

MIB = 1024 * 1024
SIZE = "4000x3000"
NOISE_STRENGTHS = (12, 16, 20, 24)  # one source image each: 3 to 5 MB as JPEG
TARGETS = {"gallery": 1 / 20, "thumbnails": 0.8}
ONE_DECODE_SAMPLE = 20


# --- the images -------------------------------------------------------------------------------


def make_sources(folder: Path) -> list[bytes]:
    """A few 12-megapixel JPEGs: ffmpeg's test picture with different noise."""
    sources = []
    for strength in NOISE_STRENGTHS:
        path = folder / f"source-{strength}.jpg"
        picture = f"testsrc2=size={SIZE}:rate=1,noise=alls={strength}:allf=u:all_seed={strength}"
        command = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", picture, "-frames:v", "1"]
        subprocess.run([*command, "-q:v", "2", str(path)], check=True)
        sources.append(path.read_bytes())
        path.unlink()
    return sources


def numbered_copy(jpeg: bytes, number: int) -> bytes:
    """The same picture with a comment segment (COM) holding `number` after the start marker:
    other bytes, so another hash and another asset, and the same decoding work."""
    comment = f"faceforge bench image {number:06d}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segment + jpeg[2:]


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    sources = make_sources(folder)
    paths = []
    for number in range(count):
        path = folder / f"image-{number:06d}.jpg"
        path.write_bytes(numbered_copy(sources[number % len(sources)], number))
        paths.append(path)
    return paths


# --- servers ------------------------------------------------------------------------------------


class Server:
    """`python faceforge.py` on a fresh home with ExifTool off and thumbnails on or off."""

    def __init__(self, home: Path, thumbnails: bool):
        self.home = home
        (home / "config").mkdir(parents=True)
        tools = {"exiftool_enabled": False, "thumbnails_enabled": thumbnails}
        (home / "config" / "core.json").write_text(json.dumps({"tools": tools}))
        self.process, self.port, self.token = start_server(home)
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = Api(self.port, self.token)

    def upload(self, path: Path, **query: str) -> dict:
        query_text = "&".join(f"{name}={value}" for name, value in query.items())
        target = f"/v1/assets/upload?kind=image&filename={path.name}&{query_text}"
        return self.api.request("POST", target, path.read_bytes(), "application/octet-stream")

    def wait_for_thumbnails(self) -> None:
        """Until no asset's thumbnails are pending (read from the database: the API has no
        filter on thumbnail_status), then check that all of them were made."""
        database = f"file:{self.home / 'db' / 'core.sqlite3'}?mode=ro"
        connection = sqlite3.connect(database, uri=True)
        try:
            count_by_status = "SELECT COUNT(*) FROM assets WHERE thumbnail_status = ?"
            while connection.execute(count_by_status, ("pending",)).fetchone()[0]:
                time.sleep(0.2)
            failed = connection.execute(count_by_status, ("failed",)).fetchone()[0]
        finally:
            connection.close()
        if failed:
            raise SystemExit(f"{failed} thumbnails failed: see {self.home}/logs/core.log")

    def ffmpeg_path(self) -> Path:
        return Path(self.api.request("GET", "/v1/system/info")["tools"]["ffmpeg"]["path"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.process.stdout.close()


def fresh_server(work: Path, name: str, thumbnails: bool = True) -> Server:
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    return Server(home, thumbnails)


# --- 1. the gallery page ------------------------------------------------------------------------


def entities_with_pictures(server: Server, images: list[Path]) -> None:
    """One entity per image, linked to it and showing it as its primary thumbnail."""
    for number, image in enumerate(images):
        body = json.dumps({"display_name": f"Person {number:03d}"}).encode()
        entity = server.api.request("POST", "/v1/entities", body)
        asset = server.upload(image, entity_id=entity["entity_id"], role="portrait")
        primary = json.dumps({"primary_thumbnail_asset_id": asset["asset_id"]}).encode()
        server.api.request("PATCH", f"/v1/entities/{entity['entity_id']}", primary)
    server.wait_for_thumbnails()


def wait_until(page, expression: str, timeout: float = 60) -> None:
    """Poll a script expression in the page (the UI's CSP refuses wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise SystemExit(f"the gallery page never got to: {expression}")
        page.wait_for_timeout(100)


def gallery_visit(browser, server: Server, entity_count: int, scale: int) -> dict:
    """The bytes one visit of the gallery downloads, on opening and once scrolled through."""
    viewport = {"width": 1280, "height": 800}
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    reply = context.request.post(server.url + "/ui/login", data={"token": server.token})
    assert reply.ok, reply.text()
    page = context.new_page()
    received = []
    paths = []
    network = context.new_cdp_session(page)
    network.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
    network.send("Network.enable")
    page.on("request", lambda request: paths.append(request.url[len(server.url) :]))
    page.goto(f"{server.url}/ui/#/entities?view=gallery")
    cards = page.locator(".gallery-card .thumb img")
    cards.nth(entity_count - 1).wait_for(state="attached")
    wait_until(page, IMAGES_IN_VIEW_LOADED)
    page.wait_for_load_state("networkidle")
    on_opening = sum(received)
    for number in range(entity_count):
        cards.nth(number).scroll_into_view_if_needed()
    wait_until(page, "[...document.images].every((i) => i.complete && i.naturalWidth > 0)")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the last CDP events reach us while we wait
    context.close()
    return {
        "opening": on_opening,
        "scrolled": sum(received),
        "thumbnails": sum("/thumbnail?" in path for path in paths),
        "originals": sum(path.endswith("/download") for path in paths),
    }


def gallery_part(work: Path, images: list[Path], rounds: int) -> list[tuple]:
    from playwright.sync_api import sync_playwright

    server = fresh_server(work, "home-gallery")
    try:
        entities_with_pictures(server, images)
        originals = sum(path.stat().st_size for path in images)
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for scale in (1, 2):
                for round_number in range(1, rounds + 1):
                    visit = gallery_visit(browser, server, len(images), scale)
                    print(f"gallery {scale}x round {round_number}: {visit}", flush=True)
                rows += gallery_rows(visit, scale, len(images), originals)
            browser.close()
    finally:
        server.stop()
    return rows


def gallery_rows(visit: dict, scale: int, entity_count: int, originals: int) -> list[tuple]:
    """The last visit's bytes (every visit downloads the same: a fresh browser context)."""
    rows = []
    for moment, label in (("opening", "on opening"), ("scrolled", "scrolled through")):
        share = visit[moment] / originals
        rows.append(
            (
                f"gallery of {entity_count}, {scale}x, {label}",
                f"{visit[moment] / MIB:.2f} MiB ({visit['thumbnails']} thumbnails,"
                f" {visit['originals']} originals requested)",
                f"originals {originals / MIB:.1f} MiB",
                f"1/{1 / share:.0f}",
                f"<= 1/{1 / TARGETS['gallery']:.0f}",
            )
        )
    return rows


# --- 2. thumbnail throughput --------------------------------------------------------------------


def outputs_for(folder: Path, image: Path, sizes, extension: str) -> dict[int, Path]:
    return {size: folder / f"{image.stem}-{size}.{extension}" for size in sizes}


def shell_script(tool: Path, images: list[Path], folder: Path, extension: str, sizes) -> str:
    """One ffmpeg line per image, each a run of `thumbnail_command()` (per size when `sizes`
    has one entry per run)."""
    lines = ["set -e"]
    for image in images:
        for run_sizes in sizes:
            outputs = outputs_for(folder, image, run_sizes, extension)
            command = ffmpeg.thumbnail_command(tool, image, outputs, extension)
            lines.append(shlex.join(command) + " 2>/dev/null")
    return "\n".join(lines) + "\n"


def shell_seconds(script: str, folder: Path) -> float:
    """Wall time of `sh` running `script`, writing into a fresh `folder`."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    script_path = folder.parent / "thumbnails.sh"
    script_path.write_text(script)
    started = time.perf_counter()
    subprocess.run(["sh", str(script_path)], check=True)
    return time.perf_counter() - started


def stream_mapping(tool: Path, image: Path, folder: Path, extension: str) -> str:
    """What ffmpeg says it decodes and encodes for one image, on one line."""
    outputs = outputs_for(folder, image, SIZES, extension)
    command = ffmpeg.thumbnail_command(tool, image, outputs, extension)
    folder.mkdir(exist_ok=True)
    stderr = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    lines = stderr.split("Stream mapping:\n", 1)[1].split("\n")
    mapping = itertools.takewhile(lambda line: line.startswith("  "), lines)
    return "; ".join(line.strip() for line in mapping)


def one_decode_notes(tool: Path, images: list[Path], folder: Path, extension: str) -> list[str]:
    sample = images[:ONE_DECODE_SAMPLE]
    both = shell_seconds(shell_script(tool, sample, folder, extension, [SIZES]), folder)
    each = [[size] for size in SIZES]
    apart = shell_seconds(shell_script(tool, sample, folder, extension, each), folder)
    mapping = stream_mapping(tool, images[0], folder, extension)
    return [
        f"ffmpeg's stream mapping of one image: {mapping}",
        f"{len(sample)} images: both sizes from one run {both / len(sample):.3f} s/image,"
        f" one run per size {apart / len(sample):.3f} s/image ({apart / both:.2f}x)",
    ]


def rebuild_seconds(server: Server, image_count: int) -> float:
    body = json.dumps({"only_missing": False}).encode()
    job = server.api.request("POST", "/v1/admin/thumbnails/rebuild", body)
    job = wait_for_job(server.api, job["job_id"])
    if job["result"]["done"] != image_count:
        raise SystemExit(f"the rebuild job made {job['result']} of {image_count} images")
    return server_seconds(job)


def thumbnail_part(work: Path, images: list[Path], rounds: int) -> tuple[list[tuple], list[str]]:
    server = fresh_server(work, "home-thumbnails")
    try:
        started = time.perf_counter()
        for image in images:
            server.upload(image)
        server.wait_for_thumbnails()
        ingest_seconds = time.perf_counter() - started
        tool = server.ffmpeg_path()
        extension = ffmpeg.thumbnail_format(tool)
        loop_folder = work / "loop"
        notes = one_decode_notes(tool, images, loop_folder, extension)
        notes.append(
            f"after upload, on the ingest workers: {len(images)} images uploaded and"
            f" thumbnailed in {ingest_seconds:.1f} s ({len(images) / ingest_seconds:.2f} images/s)"
        )
        script = shell_script(tool, images, loop_folder, extension, [SIZES])
        job_rates, loop_rates, ratios = [], [], []
        for round_number in range(1, rounds + 1):
            sides = [
                ("job", lambda: rebuild_seconds(server, len(images))),
                ("loop", lambda: shell_seconds(script, loop_folder)),
            ]
            seconds = dict((name, measure()) for name, measure in sides[:: (-1) ** round_number])
            job_rates.append(len(images) / seconds["job"])
            loop_rates.append(len(images) / seconds["loop"])
            ratios.append(seconds["loop"] / seconds["job"])
            print(
                f"thumbnails round {round_number}: job {seconds['job']:.1f} s,"
                f" shell loop {seconds['loop']:.1f} s, ratio {ratios[-1]:.2f}",
                flush=True,
            )
    finally:
        server.stop()
    row = (
        f"thumbnails of {len(images)} images, both sizes ({extension})",
        f"job {median(job_rates):.2f} images/s",
        f"shell loop {median(loop_rates):.2f} images/s",
        f"{median(ratios):.2f}x",
        f">= {TARGETS['thumbnails']}x",
    )
    return [row], notes


# --- 3. uploads with thumbnails on and off ------------------------------------------------------


def upload_rate(work: Path, images: list[Path], thumbnails: bool) -> float:
    """MiB/s of uploading every image, one after the other, to a fresh home."""
    server = fresh_server(work, "home-uploads", thumbnails)
    try:
        started = time.perf_counter()
        for image in images:
            server.upload(image)
        seconds = time.perf_counter() - started
    finally:
        server.stop()
        shutil.rmtree(server.home)
    return sum(path.stat().st_size for path in images) / MIB / seconds


def upload_part(work: Path, images: list[Path], rounds: int) -> list[tuple]:
    rates = {True: [], False: []}
    ratios = []
    for round_number in range(1, rounds + 1):
        for thumbnails in (True, False)[:: (-1) ** round_number]:
            rates[thumbnails].append(upload_rate(work, images, thumbnails))
        ratios.append(rates[True][-1] / rates[False][-1])
        print(
            f"uploads round {round_number}: thumbnails on {rates[True][-1]:.0f} MiB/s,"
            f" off {rates[False][-1]:.0f} MiB/s, ratio {ratios[-1]:.2f}",
            flush=True,
        )
    return [
        (
            f"upload {len(images)} images, thumbnails on",
            f"{median(rates[True]):.0f} MiB/s",
            f"thumbnails off {median(rates[False]):.0f} MiB/s",
            f"{median(ratios):.2f}x",
            "~1.0x",
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500, help="for thumbnails and uploads")
    parser.add_argument("--entities", type=int, default=50, help="on the gallery page")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for tool in ("ffmpeg", "sh"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed for this benchmark")
    work = Path(tempfile.mkdtemp(prefix="faceforge-bench-media-"))
    try:
        images = make_images(work / "images", max(args.images, args.entities))
        rows = gallery_part(work, images[: args.entities], args.rounds)
        thumbnail_rows, notes = thumbnail_part(work, images[: args.images], args.rounds)
        rows += thumbnail_rows
        rows += upload_part(work, images[: args.images], args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.images} images of {SIZE}, {args.entities} entities, {args.rounds} rounds;")
    print("ratios are medians of the rounds' own; machine possibly shared.\n")
    print("| measurement | FaceForge | reference | ratio | target |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("", *notes, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
