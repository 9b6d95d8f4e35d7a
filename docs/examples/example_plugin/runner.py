"""Runner of the example plugin: claims `example.greet` jobs from FaceForge Core and runs them.

Core starts it by itself while the plugin is enabled (the manifest's `runner`), with
FACEFORGE_URL and a FACEFORGE_TOKEN that may read and run this plugin's jobs. By hand:

    FACEFORGE_URL=http://127.0.0.1:8787 FACEFORGE_TOKEN=... python runner.py [--once]

Standard library only. `--once` stops when the queue is empty instead of waiting for work.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

URL = os.environ.get("FACEFORGE_URL", "http://127.0.0.1:8787")
TOKEN = os.environ["FACEFORGE_TOKEN"]
# No proxy: the key must never leave this machine.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(method, path, body=None):
    """One API call; returns the envelope's data, raises on an error envelope."""
    request = urllib.request.Request(
        URL + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-FaceForge-Token": TOKEN, "Content-Type": "application/json"},
    )
    try:
        with OPENER.open(request, timeout=30) as reply:
            return json.load(reply)["data"]
    except urllib.error.HTTPError as error:
        raise RuntimeError(json.load(error)["error"]["message"]) from None


def greet(job, lease):
    """The work: a few steps with progress, stopping early if a cancel was requested."""
    config = call("GET", "/v1/plugins/example/config")["config"]
    name = job["input"].get("name", "world")
    path, token = f"/v1/jobs/{job['job_id']}", {"lease_token": lease}
    for step in range(1, 4):
        time.sleep(config["step_seconds"])
        reply = call(
            "POST", path + "/progress", {**token, "percent": step * 25, "step": f"step {step}"}
        )
        if reply["cancel_requested"]:
            error = {"code": "canceled", "message": "stopped on request"}
            return call("POST", path + "/fail", {**token, "error": error})
    message = f"{config['greeting']}, {name}!"
    call("POST", path + "/log", {**token, "message": message, "data": {"name": name}})
    return call("POST", path + "/complete", {**token, "result": {"message": message}})


def main():
    once = "--once" in sys.argv
    while True:
        claimed = call(
            "POST", "/v1/jobs/claim", {"job_types": ["example.greet"], "lease_seconds": 30}
        )
        if claimed is None:
            if once:
                return 0
            time.sleep(2)
            continue
        job, lease = claimed["job"], claimed["lease_token"]
        try:
            done = greet(job, lease)
            print(f"{job['job_id'][-12:]} {done['job']['status']}", flush=True)
        except Exception as failure:  # report anything unexpected instead of dying silently
            call(
                "POST",
                f"/v1/jobs/{job['job_id']}/fail",
                {"lease_token": lease, "error": {"code": "runner_error", "message": str(failure)}},
            )


if __name__ == "__main__":
    sys.exit(main())
