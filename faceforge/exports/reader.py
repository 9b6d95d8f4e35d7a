"""`python faceforge.py import-export DIR`: an export (writer.py, docs/export.md) back into a
home that holds no entities, through the domain modules' own writers.

The whole export is read and parsed first, so a broken one changes nothing. Then the files
are ingested as uploads are (same hashes, so the same asset ids), and everything else —
field definitions, entities with their ids and times, descriptors, relationships, links with
their roles, the assets' metadata entries — is written in ONE transaction: a failure there
leaves only assets that no entity links to, and running the import again finishes it.
"""

from dataclasses import dataclass, field
from pathlib import Path

from faceforge import json_text, validate
from faceforge.assets import ingest, ingest_batch
from faceforge.assets import links as asset_links
from faceforge.assets import rows as assets
from faceforge.assets.bulk_import import SIDECAR_SUFFIX
from faceforge.entities import descriptors, field_defs, records, relationships
from faceforge.entities import store as entity_store
from faceforge.errors import ApiError, ValidationError
from faceforge.exports.writer import ENTITY_FILE, FORMAT, FORMAT_VERSION, MANIFEST_NAME

METADATA_STATUSES = ("pending", "done", "failed", "skipped")


class ImportRefused(Exception):
    """The folder is no usable export, or the home is not empty; the message says why."""


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    sidecar: dict
    entity_id: str | None  # the entity whose folder holds it; None in the unlinked folder

    @property
    def asset(self) -> dict:
        return self.sidecar["asset"]


@dataclass
class Export:
    """An export as read from its folder, before anything is written."""

    field_definitions: list[dict]
    entities: list[dict] = field(default_factory=list)  # entity.json documents
    files: list[ExportedFile] = field(default_factory=list)


def read_json(path: Path) -> dict:
    try:
        document = json_text.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportRefused(f"{path} is missing") from None
    except (OSError, ValueError) as error:
        raise ImportRefused(f"{path} cannot be read as JSON: {error}") from None
    if not isinstance(document, dict):
        raise ImportRefused(f"{path} does not hold a JSON object")
    return document


def read_manifest(root: Path) -> dict:
    if not root.is_dir():
        raise ImportRefused(f"{root} is not a folder")
    if not (root / MANIFEST_NAME).is_file():
        raise ImportRefused(
            f"{root} is not a finished FaceForge export ({MANIFEST_NAME} is missing)"
        )
    return checked(root / MANIFEST_NAME, check_manifest)


def check_manifest(manifest: dict) -> None:
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        validate.fail(("format",), f"is not {FORMAT} version {FORMAT_VERSION}")
    for key in ("field_definitions", "entities"):
        listed = validate.required(manifest, key, ())
        if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
            validate.fail((key,), "must be a list of objects", "type_error")
    unlinked = manifest.get("unlinked")
    if unlinked is not None:
        validate.json_object(unlinked, ("unlinked",))


def entry(folder: Path, name) -> Path:
    """The entry `name` of `folder`: a plain name, so an export cannot point outside itself."""
    if not isinstance(name, str) or name in ("", ".", "..") or Path(name).name != name:
        raise ImportRefused(f"{folder}: {name!r} is not a file name of this export")
    return folder / name


def checked(path: Path, check) -> dict:
    """The JSON object in `path`, passed through `check` (ValidationError names the key)."""
    document = read_json(path)
    try:
        check(document)
    except ValidationError as error:
        raise ImportRefused(f"{path}: {error.message}") from None
    return document


def folder_files(folder: Path, names, entity_id: str | None) -> list[ExportedFile]:
    if not isinstance(names, list):
        raise ImportRefused(f"{folder}: its list of files is not a list")
    files = []
    for name in names:
        path = entry(folder, name)
        if not path.is_file():
            raise ImportRefused(f"{path} is listed in the export but missing")
        sidecar = checked(entry(folder, name + SIDECAR_SUFFIX), check_sidecar)
        files.append(ExportedFile(path, sidecar, entity_id))
    return files


def check_entity_file(document: dict) -> None:
    entity = validate.json_object(validate.required(document, "entity", ()), ("entity",))
    validate.identifier(entity.get("entity_id"), ("entity", "entity_id"))
    for key in ("descriptors", "relationships", "files"):
        if not isinstance(document.get(key, []), list):
            validate.fail((key,), "must be a list", "type_error")


def check_sidecar(sidecar: dict) -> None:
    """What importing a file relies on, checked before anything is written."""
    asset = validate.json_object(validate.required(sidecar, "asset", ()), ("asset",))
    validate.identifier(asset.get("asset_id"), ("asset", "asset_id"))
    for key in ("filename", "kind", "mime_type"):
        validate.name(validate.required(asset, key, ("asset",)), ("asset", key))
    status = validate.required(asset, "metadata_status", ("asset",))
    validate.choice(status, ("asset", "metadata_status"), METADATA_STATUSES)
    if not isinstance(sidecar.get("metadata", []), list):
        validate.fail(("metadata",), "must be a list of metadata entries", "type_error")


def read_export(root: Path) -> Export:
    """The export under `root`, every file checked to be there; ImportRefused otherwise."""
    manifest = read_manifest(root)
    export = Export(manifest["field_definitions"])
    for listed in manifest["entities"]:
        folder = entry(root, listed.get("folder"))
        document = checked(folder / ENTITY_FILE, check_entity_file)
        export.entities.append(document)
        entity_id = document["entity"]["entity_id"]
        export.files += folder_files(folder, document.get("files", []), entity_id)
    unlinked = manifest.get("unlinked")
    if unlinked is not None:
        folder = entry(root, unlinked.get("folder"))
        export.files += folder_files(folder, unlinked.get("files"), None)
    return export


def require_no_entities(db, home_root: Path) -> None:
    with db.read() as connection:
        count = entity_store.live_count(connection)
    if count:
        raise ImportRefused(
            f"{home_root} already holds {count} entities: import-export needs an empty home"
        )


def ingest_files(intake: ingest.Intake, files: list[ExportedFile]) -> int:
    """Store each distinct file as an upload would (its hash checked against its sidecar's);
    how many distinct assets there are."""
    items = {}
    with ingest_batch.Batch(intake) as batch:
        for exported in files:
            asset = exported.asset
            if asset["asset_id"] in items:
                continue
            staged = ingest.stage_for(intake, exported.path)
            if staged.sha256 != asset["asset_id"]:
                staged.discard()
                raise ImportRefused(f"{exported.path} does not match the sha256 in its sidecar")
            request = ingest.Request(
                filename=asset["filename"],
                kind=asset["kind"],
                mime_type=asset["mime_type"],
                loc=("body",),
                metadata=exported.sidecar.get("metadata") or [],
                metadata_status=asset.get("metadata_status"),
            )
            items[asset["asset_id"]] = batch.add_staged(staged, request)
            if batch.full():
                batch.flush()
        batch.flush()
    for asset_id, item in items.items():
        if item.error is not None:
            raise ImportRefused(f"storing asset {asset_id} failed: {item.error}")
    return len(items)


def kept_id(exported: dict, key: str, loc: tuple) -> str:
    return validate.identifier(exported.get(key), (*loc, key))


def kept_time(exported: dict, key: str, loc: tuple) -> str:
    return validate.timestamp(exported.get(key), (*loc, key))


def insert_field_definition(connection, exported: dict, loc: tuple) -> None:
    definition = field_defs.new_definition(
        exported,
        kept_id(exported, "field_def_id", loc),
        kept_time(exported, "created_at", loc),
        kept_time(exported, "updated_at", loc),
    )
    field_defs.insert(connection, definition)


def insert_descriptor(connection, exported: dict, loc: tuple) -> None:
    scope, field_key, value = descriptors.read_new_descriptor(exported)
    descriptors.check_value(descriptors.rule_for(connection, scope, field_key), value)
    descriptor = {
        "descriptor_id": kept_id(exported, "descriptor_id", loc),
        "entity_id": kept_id(exported, "entity_id", loc),
        "scope": scope,
        "field_key": field_key,
        "value": value,
        "created_at": kept_time(exported, "created_at", loc),
        "updated_at": kept_time(exported, "updated_at", loc),
    }
    descriptors.insert(connection, descriptor)


def insert_relationship(connection, exported: dict, loc: tuple) -> None:
    relationship = {
        "relationship_id": kept_id(exported, "relationship_id", loc),
        **relationships.read_relationship(exported),
        "created_at": kept_time(exported, "created_at", loc),
    }
    relationships.insert(connection, relationship)


class Writer:
    """The one transaction that writes everything but the bytes, with counts of what it
    wrote. Errors name the file they come from."""

    def __init__(self, connection, export: Export):
        self.connection = connection
        self.export = export
        self.entity_ids = {document["entity"]["entity_id"] for document in export.entities}
        self.asset_ids = {exported.asset["asset_id"] for exported in export.files}
        self.counts = {"entities": 0, "descriptors": 0, "relationships": 0, "links": 0}

    def write(self) -> dict:
        for index, definition in enumerate(self.export.field_definitions):
            insert_field_definition(self.connection, definition, ("field_definitions", index))
        for document in self.export.entities:
            entity = document["entity"]
            if entity.get("primary_thumbnail_asset_id") not in self.asset_ids:
                entity = {**entity, "primary_thumbnail_asset_id": None}  # its file not exported
            records.insert_exported(self.connection, entity, ("entity",))
            self.counts["entities"] += 1
        for document in self.export.entities:
            for index, descriptor in enumerate(document.get("descriptors") or []):
                insert_descriptor(self.connection, descriptor, ("descriptors", index))
                self.counts["descriptors"] += 1
        self.write_relationships()
        for exported in self.export.files:
            self.write_file_rows(exported)
        return self.counts

    def write_relationships(self) -> None:
        """Each relationship once (both its entities' files list it); one whose other side
        was not exported (an `--entity` export) is left out."""
        written = set()
        for document in self.export.entities:
            for index, relationship in enumerate(document.get("relationships") or []):
                sides = {relationship.get("src_entity_id"), relationship.get("dst_entity_id")}
                relationship_id = relationship.get("relationship_id")
                if relationship_id in written or not sides <= self.entity_ids:
                    continue
                insert_relationship(self.connection, relationship, ("relationships", index))
                written.add(relationship_id)
        self.counts["relationships"] = len(written)

    def write_file_rows(self, exported: ExportedFile) -> None:
        asset = exported.asset
        if asset.get("user_metadata"):
            patch = {"user_metadata": asset["user_metadata"]}
            assets.apply_patch(self.connection, asset["asset_id"], patch)
        self.write_derived_from(asset)
        if exported.entity_id is not None:
            role = asset_links.read_role(exported.sidecar.get("role"), ("role",))
            asset_links.link(self.connection, exported.entity_id, asset["asset_id"], role)
            self.counts["links"] += 1

    def write_derived_from(self, asset: dict) -> None:
        """The asset's source, when the export holds it too (an `--entity` export may not):
        set once every file's row exists, so the order of the files does not matter."""
        source = asset.get("derived_from_asset_id")
        if source not in self.asset_ids or source == asset["asset_id"]:
            return
        row = assets.live_row(self.connection, asset["asset_id"])
        if row["derived_from_asset_id"] is None:
            assets.record_changes(self.connection, row, {"derived_from_asset_id": source})


def import_export(db, intake: ingest.Intake, home_root: Path, root: Path) -> dict:
    """Import the export under `root`: counts of what was written; ImportRefused (nothing
    written, or only unlinked assets) when the export or the home will not do."""
    export = read_export(root)
    require_no_entities(db, home_root)
    asset_count = ingest_files(intake, export.files)
    try:
        with db.write() as connection:
            counts = Writer(connection, export).write()
    except ApiError as error:
        raise ImportRefused(f"{root} cannot be imported: {error.message}") from None
    return {**counts, "assets": asset_count}
