"""The benchmarks' lean HTTP/1.1 client against a real uvicorn server on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.tools.lean_client import Connection, ProtocolError

seen_peers: list[tuple[str, int]] = []


async def echo(request: Request) -> Response:
    seen_peers.append(request.client[:2] if request.client else ("", 0))
    document = json.loads(await request.body())
    if document.get("busy"):
        return JSONResponse({"error": "later"}, status_code=429, headers={"Retry-After": "7"})
    return JSONResponse(
        {"got": document, "auth": request.headers.get("authorization")}, status_code=202
    )


async def chunked(request: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    return StreamingResponse(parts())


APP = Starlette(
    routes=[Route("/echo", echo, methods=["POST"]), Route("/chunked", chunked, methods=["POST"])]
)


async def _serve() -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(APP, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{port}"


def test_posts_back_to_back_on_one_connection_and_reads_status_headers_and_body() -> None:
    async def scenario() -> None:
        server, task, base = await _serve()
        try:
            seen_peers.clear()
            async with Connection(base) as connection:
                first = await connection.post_json(
                    "/echo", {"n": 1, "text": "één € ü"}, {"Authorization": "Bearer t"}
                )
                second = await connection.post_json("/echo", {"busy": True})
            assert first.status == 202
            assert json.loads(first.body) == {
                "got": {"n": 1, "text": "één € ü"},
                "auth": "Bearer t",
            }
            assert second.status == 429 and second.headers["retry-after"] == "7"
            # Keep-alive: both requests came over the same client port.
            assert len(seen_peers) == 2 and seen_peers[0] == seen_peers[1]
        finally:
            server.should_exit = True
            await task

    asyncio.run(scenario())


def test_refuses_what_it_does_not_read() -> None:
    async def scenario() -> None:
        server, task, base = await _serve()
        try:
            async with Connection(base) as connection:
                with pytest.raises(ProtocolError, match="chunked"):
                    await connection.post_json("/chunked", {})
        finally:
            server.should_exit = True
            await task

    asyncio.run(scenario())
    with pytest.raises(ValueError, match="http://host:port"):
        Connection("https://example.org")
