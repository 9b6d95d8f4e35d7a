"""One access-log line per request, with its request id, and never a credential."""

from tests.support import wait_until


def log_lines(server) -> list[str]:
    return [
        line
        for line in (server.home / "logs" / "core.log").read_text().splitlines()
        if " faceforge.access " in line
    ]


def test_each_request_is_one_line_with_its_request_id(server):
    before = len(log_lines(server))
    reply = server.client.get("/v1/ping")
    lines = wait_until(lambda: log_lines(server)[before:])
    assert len(lines) == 1
    assert reply.headers["X-Request-Id"] in lines[0]
    assert " GET /v1/ping 200 " in lines[0]


def test_tokens_never_reach_the_log(server):
    token = server.token
    before = len(log_lines(server))
    server.anonymous.get("/v1/ping", headers={"X-FaceForge-Token": token})
    server.anonymous.get("/v1/ping", headers={"Authorization": f"Bearer {token}"})
    server.anonymous.get("/v1/ping", headers={"Cookie": f"ff_token={token}"})
    server.anonymous.get(f"/v1/ping?token={token}&sig={token}&q=visible")
    server.anonymous.post("/ui/login", {"token": token})
    server.anonymous.post("/ui/login", {"token": token + "wrong"})
    wait_until(lambda: len(log_lines(server)) >= before + 6)
    text = (server.home / "logs" / "core.log").read_text()
    assert token not in text
    assert "q=visible" in text
    assert "token=%2A%2A%2A" in text
