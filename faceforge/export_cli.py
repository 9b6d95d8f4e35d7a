"""`python faceforge.py export DIR [--entity ID ...]` and `python faceforge.py import-export DIR`.

`export` runs the `system.export` job the way `import` runs a bulk import (import_cli.py):
submitted to this home's running server when there is one (`POST /v1/admin/exports`), else
run in this process; either way the command follows the job with a progress bar, and Ctrl-C
cancels it. `import-export` writes into the home directly, so it wants the server stopped.
"""

from pathlib import Path

from faceforge import import_cli, runtime
from faceforge.exports import reader, writer

EXPORTS_PATH = "/v1/admin/exports"


def export(args, config) -> int:
    destination = Path(args.folder).expanduser().resolve()
    job_input = {"destination": str(destination), "entity_ids": args.entity or None}
    jobs = import_cli.find_server(config, EXPORTS_PATH, "nothing exported")
    jobs = jobs or import_cli.LocalJobs(config, writer.JOB_TYPE)
    bar = import_cli.ProgressBar(unit="entities")
    return report(import_cli.submit_and_follow(jobs, job_input, bar, f"Exporting to {destination}"))


def report(job: dict) -> int:
    return import_cli.report_outcome(
        job,
        "Export",
        lambda result: (
            f"Exported {result['entities']} entities and {result['files']} files"
            f" ({result['bytes']:,} bytes) to {result['destination']}, errors {result['errors']}"
        ),
    )


def import_export(args, config) -> int:
    """Read the export into this home (which must hold no entities); one line either way."""
    if import_cli.find_server(config, EXPORTS_PATH, "nothing imported") is not None:
        raise reader.ImportRefused(
            f"FaceForge is running for {config.home.root}: stop it, then run import-export"
        )
    services = runtime.build_services(config, serving=False)
    try:
        counts = reader.import_export(
            services.db, services.intake, config.home.root, Path(args.folder).expanduser()
        )
    finally:
        services.close()
    print(
        f"Imported {counts['entities']} entities, {counts['assets']} assets,"
        f" {counts['links']} links, {counts['descriptors']} descriptors and"
        f" {counts['relationships']} relationships"
    )
    return 0
