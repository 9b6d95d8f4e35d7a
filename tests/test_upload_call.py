"""The upload as one domain call (`assets.upload.upload`): the HTTP handler only parses and
hands over a way to read the bytes; every parameter is checked before that is used, and the
asset it makes is the one the API serves."""

import pytest

from faceforge.assets import ingest
from faceforge.assets.upload import Received, upload
from faceforge.errors import ValidationError
from tests.assets_support import NOTHING, insert_entity, leftovers

PARAMETERS = {"filename": None, "kind": None, "entity_id": None, "role": None, "derived_from": None}


class Receiver:
    """Stages `data` as the sent file when called, and remembers that it was."""

    def __init__(self, intake: ingest.Intake, data: bytes, filename: str, sidecar=None):
        self.intake = intake
        self.data = data
        self.filename = filename
        self.sidecar = sidecar
        self.calls = 0

    def __call__(self) -> Received:
        self.calls += 1
        staged = ingest.stage_chunks([self.data], self.intake.tmp_dir, self.intake.max_upload_bytes)
        return Received(staged, self.filename, "text/plain", self.sidecar, "s._meta.json")


@pytest.mark.parametrize(
    ("parameters", "loc"),
    [
        ({"role": "cover"}, ["query", "role"]),
        ({"entity_id": "0" * 64}, ["query", "entity_id"]),
        ({"derived_from": "f" * 64}, ["query", "derived_from"]),
        ({"filename": "folder/"}, ["query", "filename"]),
        ({"kind": "  "}, ["query", "kind"]),
    ],
)
def test_every_parameter_is_checked_before_a_byte_is_read(server, parameters, loc):
    receive = Receiver(server.services.intake, b"never read", "n.txt")
    with pytest.raises(ValidationError) as refused:
        upload(server.services.intake, receive, **{**PARAMETERS, **parameters})
    assert refused.value.details[0]["loc"] == loc
    assert receive.calls == 0
    assert leftovers(server) == NOTHING


def test_the_call_makes_the_asset_the_api_serves(server):
    entity_id = insert_entity(server)
    receive = Receiver(server.services.intake, b"one call", "c.txt", sidecar=b'{"by": "call"}')
    parameters = {**PARAMETERS, "kind": "note", "entity_id": entity_id, "role": "cover"}
    asset = upload(server.services.intake, receive, **parameters)
    assert receive.calls == 1
    served = server.client.get(f"/v1/assets/{asset['asset_id']}").data
    assert served == asset
    described = (served["kind"], served["filename"], served["mime_type"])
    assert described == ("note", "c.txt", "text/plain")
    sidecars = [e["Data"] for e in served["meta"]["metadata"] if e["Source"] == "UserSidecar"]
    assert sidecars == [{"by": "call"}]
    download = server.client.get(f"/v1/assets/{asset['asset_id']}/download")
    assert download.body == b"one call"
    links = server.client.get(f"/v1/entities/{entity_id}/assets").data["items"]
    assert [(item["asset_id"], item["role"]) for item in links] == [(asset["asset_id"], "cover")]
