"""bench/assets.py's tus part, run small as the real script: its tuspy clients, one of them
killed three times and resumed, leave an asset that hashes as the file. Nothing is timed."""

import pytest

from tests.support import run_bench


@pytest.mark.slow
def test_tus_part_resumes_killed_clients_to_a_byte_identical_asset():
    sizes = ["--size-mib", "16", "--resume-size-mib", "256", "--runs", "1"]
    output = run_bench("assets.py", "--only", "tus", *sizes)
    assert "| tus upload (tuspy, 8 MiB)" in output
    assert "256 MiB tus upload, client killed at 25%/50%/75%: asset sha256 = file sha256;" in output
