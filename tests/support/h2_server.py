"""A small HTTP/2 cleartext server on the h2 library, for faults that real servers rarely
show on demand: GOAWAY before a request was processed, RST_STREAM REFUSED_STREAM, a
MAX_CONCURRENT_STREAMS of 1. It answers every other request ``200 ok``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings


@dataclass
class FaultyServer:
    goaway_first: int = 0  # that many connections send GOAWAY (last stream 0) on a request
    refuse_first: int = 0  # that many requests are refused with RST_STREAM REFUSED_STREAM
    max_concurrent: int | None = None
    connections: int = 0
    answered: int = 0
    port: int = 0
    _server: asyncio.Server | None = field(default=None, repr=False)

    async def __aenter__(self) -> FaultyServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        settings = {}
        if self.max_concurrent is not None:
            settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = self.max_concurrent
        conn.initiate_connection()
        if settings:
            conn.update_settings(settings)
        writer.write(conn.data_to_send())
        goaway = self.goaway_first > 0
        self.goaway_first -= goaway
        refused: set[int] = set()
        try:
            while data := await reader.read(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        if goaway:
                            conn.close_connection(last_stream_id=0)
                            writer.write(conn.data_to_send())
                            await writer.drain()
                            return
                        if self.refuse_first > 0:
                            self.refuse_first -= 1
                            refused.add(event.stream_id)
                            conn.reset_stream(event.stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
                    elif isinstance(event, h2.events.StreamEnded) and event.stream_id not in refused:
                        await asyncio.sleep(0.05)  # long enough for requests to overlap
                        conn.send_headers(event.stream_id, [(":status", "200")])
                        conn.send_data(event.stream_id, b"ok", end_stream=True)
                        self.answered += 1
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, h2.exceptions.ProtocolError):
            pass
        finally:
            writer.close()
