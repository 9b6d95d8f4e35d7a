"""The Python recipes of docs/api-guide.md, run as written against a real server.

Every ```python block is taken from the page in order: the first is saved as
`faceforge_api.py`, the others run one after another in one interpreter (as a reader who
pastes them into one session), with only what the text tells the reader to substitute: the
ids (`ASSET`), the folder to import, the command-line arguments of the two scripts. The
events follower, which runs until Ctrl+C, is stopped at its first sleep.
"""

import base64
import json
import re
import subprocess
import sys

from tests.support import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "api-guide.md"

DRIVER = r'''
import json, os, sys, time

class Stop(Exception):
    pass

def stop(seconds):
    raise Stop

blocks = json.load(open("blocks.json", encoding="utf-8"))
namespace = {"__name__": "__main__"}
for number, source in enumerate(blocks):
    print(f"=== block {number}", flush=True)
    if source.startswith('"""python stash_import.py'):
        sys.argv = ["stash_import.py", "stash"]
        exec(source, {"__name__": "__main__"})
        exec(source, {"__name__": "__main__"})  # a second run changes nothing
        continue
    if source.startswith('"""python comfy_loras.py'):
        sys.argv = ["comfy_loras.py", namespace["ADA"], "ComfyUI"]
        exec(source, {"__name__": "__main__"})
        exec(source, {"__name__": "__main__"})  # a second run downloads nothing
        continue
    source = source.replace("/home/me/Pictures/ada", os.path.abspath("Pictures/ada"))
    following = "/v1/events" in source and "while True" in source
    if following:
        time.sleep = stop
    try:
        exec(source, namespace)
    except Stop:
        pass
    if "asset" in namespace and "ASSET" not in namespace:
        namespace["ASSET"] = namespace["asset"]["asset_id"]
'''


def python_blocks():
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def stash_performer(name, **extra):
    return {"name": name, **extra}


def prepare(folder):
    """The reader's files: a picture with a LoRA, a folder to import, a StashApp export."""
    picture = b"\xff\xd8\xff\xe0 not much of a JPEG " * 20
    (folder / "portrait.jpg").write_bytes(picture)
    pictures = folder / "Pictures" / "ada"
    (pictures / "sub").mkdir(parents=True)
    (pictures / "green.png").write_bytes(b"green " * 50)
    (pictures / "green_meta.json").write_text('{"note": "green"}')
    (pictures / "sub" / "blue.png").write_bytes(b"blue " * 50)
    performers = folder / "stash" / "performers"
    performers.mkdir(parents=True)
    image = base64.b64encode(b"jane's picture").decode()
    jane = stash_performer(
        "Jane Doe",
        aliases=["JD"],
        tags=["actor"],
        weight=60,
        image=image,
        stash_ids=[{"endpoint": "https://stashdb.org/graphql", "stash_id": "5a1c"}],
    )
    john = stash_performer("John Roe", disambiguation="2", aliases="Johnny, J. Roe")
    (performers / "Jane Doe.json").write_text(json.dumps(jane))
    (performers / "John Roe_2.json").write_text(json.dumps(john))
    (folder / "ComfyUI").mkdir()


def test_every_python_recipe_runs_as_written(server, tmp_path):
    blocks = python_blocks()
    folder = tmp_path / "reader"
    folder.mkdir()
    prepare(folder)
    (folder / "faceforge_api.py").write_text(blocks[0], encoding="utf-8")
    (folder / "blocks.json").write_text(json.dumps(blocks[1:]), encoding="utf-8")
    environ = {"FF": server.url, "FF_TOKEN": server.token, "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-c", DRIVER],
        cwd=folder,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = run.stdout
    assert "Ada Lovelace" in output
    assert "{'deleted': True}" in output
    assert "succeeded {'path': " in output and "'imported': 2" in output
    assert output.count("created Jane Doe") == 1 and output.count("unchanged Jane Doe") == 1
    assert "download?expires=" in output
    assert "asset.created" in output
    lora_folder = folder / "ComfyUI" / "models" / "loras" / "Ada Lovelace"
    assert lora_folder.is_dir()


def test_client_module_is_standard_library_only():
    imported = re.findall(r"^(?:import|from) (\w+)", python_blocks()[0], re.M)
    assert set(imported) <= set(sys.stdlib_module_names)
