#!/usr/bin/env python3
"""A real gRPC backend (grpcio's asyncio server + the standard health service of
grpcio-health-checking) that the end-to-end suite starts, controls and stops.

Usage: backend.py PORT [--no-health]

Listens on 127.0.0.1:PORT with SO_REUSEPORT (grpcio's default), so that it binds beside the
suite's never-listening port reservation, and prints "listening <port>" once serving. With
--no-health the server has no services at all (every health RPC is UNIMPLEMENTED).

Commands on stdin, one per line, each answered with "ok" or "error <text>":

    set <service> <STATUS>       STATUS: SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN;
                                 <service> "-" or "" means the whole server
    set <STATUS>                 the same, for the whole server
    setall <prefix> <count> <STATUS>
                                 set services <prefix>0 .. <prefix>{count-1} to STATUS
    flap <prefix> <count> <period_ms>
                                 toggle services <prefix>0 .. <prefix>{count-1} between
                                 NOT_SERVING and SERVING, each once per period, spread evenly
                                 over the period; answers "ok" at once
    unflap                       stop flapping and set every flapped service SERVING
    stats                        "ok flips=<n>": status changes made by flap so far
    stop <grace_seconds>         graceful stop (GOAWAY, then wait for RPCs up to the grace), exit
    stop                         the same with no grace

End of stdin stops the server too, so it never outlives the test that started it. It is also
stopped by PID (SIGKILL/SIGTERM) and paused with SIGSTOP by the suite.
"""

import asyncio
import signal
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio


class Backend:
    def __init__(self, port: int, with_health: bool):
        self.port = port
        self.with_health = with_health
        # Let clients ping as often as they like (the suite runs 1 s keepalives): without this
        # grpc-core answers a PING more frequent than every 5 minutes on an idle stream with
        # GOAWAY ENHANCE_YOUR_CALM "too_many_pings" after two strikes.
        self.server = grpc.aio.server(options=[
            ("grpc.so_reuseport", 1),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", 10),
            ("grpc.http2.max_ping_strikes", 0),
        ])
        self.servicer = None
        self.flapper = None
        self.flapped = []
        self.flips = 0

    async def start(self) -> int:
        if self.with_health:
            self.servicer = health_aio.HealthServicer()
            health_pb2_grpc.add_HealthServicer_to_server(self.servicer, self.server)
        bound = self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        await self.server.start()
        return bound

    async def set_status(self, service: str, name: str) -> str:
        if self.servicer is None:
            return "error no health service"
        try:
            status = health_pb2.HealthCheckResponse.ServingStatus.Value(name)
        except ValueError:
            return f"error unknown status {name}"
        await self.servicer.set(service, status)
        return "ok"

    async def flap(self, prefix: str, count: int, period: float) -> None:
        names = [f"{prefix}{i}" for i in range(count)]
        self.flapped = names
        serving = {n: True for n in names}
        loop = asyncio.get_running_loop()
        start = loop.time()
        step = period / max(count, 1)
        k = 0
        while True:
            i = k % count
            due = start + k * step
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            name = names[i]
            serving[name] = not serving[name]
            status = (health_pb2.HealthCheckResponse.SERVING if serving[name]
                      else health_pb2.HealthCheckResponse.NOT_SERVING)
            await self.servicer.set(name, status)
            self.flips += 1
            k += 1

    async def command(self, line: str) -> str | None:
        words = line.split()
        if not words:
            return None
        cmd = words[0]
        if cmd == "set" and len(words) in (2, 3):
            service = "" if len(words) == 2 or words[1] in ('""', "-") else words[1]
            return await self.set_status(service, words[-1])
        if cmd == "setall" and len(words) == 4:
            for i in range(int(words[2])):
                answer = await self.set_status(f"{words[1]}{i}", words[3])
                if answer != "ok":
                    return answer
            return "ok"
        if cmd == "flap" and len(words) == 4:
            if self.servicer is None:
                return "error no health service"
            if self.flapper is not None:
                self.flapper.cancel()
            self.flapper = asyncio.ensure_future(self.flap(words[1], int(words[2]), int(words[3]) / 1000))
            return "ok"
        if cmd == "unflap":
            if self.flapper is not None:
                self.flapper.cancel()
                self.flapper = None
            for name in self.flapped:
                await self.servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
            return "ok"
        if cmd == "stats":
            return f"ok flips={self.flips}"
        return f"error unknown command {line.strip()}"


async def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    backend = Backend(int(sys.argv[1]), "--no-health" not in sys.argv[2:])
    bound = await backend.start()
    print(f"listening {bound}", flush=True)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    grace = None
    while True:
        raw = await reader.readline()
        if not raw:
            break
        line = raw.decode().strip()
        if line.split()[:1] == ["stop"]:
            parts = line.split()
            grace = float(parts[1]) if len(parts) > 1 else None
            break
        try:
            answer = await backend.command(line)
        except Exception as error:  # a bad command must not kill the peer
            answer = f"error {error!r}"
        if answer is not None:
            print(answer, flush=True)
    if backend.flapper is not None:
        backend.flapper.cancel()
    print("stopping", flush=True)
    await backend.server.stop(grace)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
