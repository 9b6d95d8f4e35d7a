"""bench/assets.py's tus part, run small as the real script: its tuspy clients, one of them
killed three times and resumed, leave an asset that hashes as the file. Nothing is timed."""

import os
import subprocess
import sys

import pytest

from tests.support import REPO_ROOT


@pytest.mark.slow
def test_tus_part_resumes_killed_clients_to_a_byte_identical_asset(tmp_path):
    command = [sys.executable, str(REPO_ROOT / "bench" / "assets.py"), "--only", "tus"]
    command += ["--size-mib", "16", "--resume-size-mib", "256", "--runs", "1"]
    finished = subprocess.run(
        command,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    assert "| tus upload (tuspy, 8 MiB)" in finished.stdout
    assert "256 MiB tus upload, client killed at 25%/50%/75%: asset sha256 = file sha256;" in (
        finished.stdout
    )
    assert list(tmp_path.iterdir()) == []  # the benchmark's temp folder is gone
