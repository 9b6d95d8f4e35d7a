"""Upload one file to FaceForge with tuspy; also a child process that `bench/assets.py` kills.

    python bench/_tus_upload.py ENDPOINT TOKEN PATH CHUNK_SIZE [UPLOAD_URL]

As a child it prints the upload's URL as soon as the upload exists, then the asset id once
the last PATCH made the asset. With UPLOAD_URL it resumes that upload from the server's offset
(tuspy asks with HEAD).
"""

import sys
from pathlib import Path

from tusclient.client import TusClient


def tus_upload(
    endpoint: str,
    token: str,
    path: Path,
    chunk_size: int,
    upload_url: str | None = None,
    on_created=lambda upload_url: None,
) -> str:
    """Upload `path` in PATCHes of `chunk_size`; the asset id. `on_created` gets the upload's
    URL before the first PATCH."""
    client = TusClient(endpoint, headers={"X-FaceForge-Token": token})
    # An open file object: given a path, tuspy opens the file and never closes it.
    with open(path, "rb") as stream:
        uploader = client.uploader(
            file_stream=stream,
            url=upload_url,
            chunk_size=chunk_size,
            metadata={"filename": path.name},
        )
        if uploader.url is None:
            uploader.set_url(uploader.create_url())
        on_created(uploader.url)
        uploader.upload()
    return uploader.request.response_headers["faceforge-asset-id"]


def main() -> int:
    endpoint, token, path, chunk_size, *upload_url = sys.argv[1:]
    asset_id = tus_upload(
        endpoint,
        token,
        Path(path),
        int(chunk_size),
        *upload_url,
        on_created=lambda url: print(url, flush=True),
    )
    print(asset_id, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
