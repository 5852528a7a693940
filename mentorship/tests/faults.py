"""Tools for the fault tests: real services, made to fail on purpose.

Everything here listens on, or connects to, the loopback interface only, and
every wait is bounded.

- ``TcpProxy`` stands between the app and Redis; stopping it is the broker
  going down (connections refused, open ones cut) at an address that comes
  back unchanged when it starts again.
- ``FakeSmtpServer`` is an SMTP server that counts the messages it accepted
  and can stall at a chosen step, so a worker can be killed in the middle of
  a delivery.
- ``WorkerProcess`` is ``celery -A mentorship worker`` in its own process
  group, as production runs it, killed with SIGKILL when a test says so.
- ``terminate_backend`` ends a PostgreSQL connection from another one, as a
  database restart or a failover would.
"""

import contextlib
import os
import signal
import socket
import socketserver
import subprocess  # nosec B404: starts our own Celery worker, no shell
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg2
from django.conf import settings
from django.db import connection

from mentorship.celery import app as celery_app


def wait_for(condition, timeout=20.0, interval=0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


def _close(sock: socket.socket) -> None:
    _shutdown(sock)
    sock.close()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``stop`` cuts it off."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> "TcpProxy":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # The same port every time: the app's broker address does not change.
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)  # wakes the thread blocked in accept()
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # stopped meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pipe, args=(source, sink), daemon=True
                ).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            _shutdown(sock)


@contextlib.contextmanager
def celery_broker(url: str):
    """This process publishes to ``url`` inside the block, and as before
    after it.

    Celery reads CELERY_BROKER_URL from the environment before its own
    configuration, and keeps its connection pools until told to drop them.
    """
    before = os.environ.get("CELERY_BROKER_URL"), celery_app.conf.broker_url

    def point_at(environment: str | None, configured: str) -> None:
        if environment is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = environment
        celery_app.conf.broker_url = configured
        celery_app._after_fork()  # drops the connection and producer pools

    point_at(url, url)
    try:
        yield
    finally:
        point_at(*before)


class FakeSmtpServer:
    """An SMTP server on loopback that keeps what it accepted.

    ``stall_at`` makes it stop answering at one step of the next session:
    "data" (the message is read, its acceptance never sent: not delivered) or
    "quit" (the message was accepted with 250, then the goodbye never comes).
    ``stalled`` is set when it stops answering; it waits for the client to
    hang up, then serves normally again.
    """

    def __init__(self):
        self.accepted: list[bytes] = []
        self.stall_at: str | None = None
        self.stalled = threading.Event()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def stall(self) -> None:
                server.stall_at = None
                server.stalled.set()
                self.rfile.read()  # until the client's process dies

            def handle(self) -> None:
                self.reply("220 fake-smtp ready")
                while line := self.rfile.readline():
                    verb = line.split(b" ", 1)[0].strip().upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.reply("250 fake-smtp")
                    elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        self.reply("250 OK")
                    elif verb == b"DATA":
                        self.reply("354 go ahead")
                        message = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            message += chunk
                        if server.stall_at == "data":
                            return self.stall()
                        server.accepted.append(message)
                        self.reply("250 accepted")
                    elif verb == b"QUIT":
                        if server.stall_at == "quit":
                            return self.stall()
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")
                return None

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]

    def __enter__(self) -> "FakeSmtpServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def database_url() -> str:
    """The address of the database this test runs on (pytest's test database)."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}{port}"
        f"/{db['NAME']}"
    )


class WorkerProcess:
    """``celery -A mentorship worker`` as a process of its own, with the
    prefork pool and one child, as production runs it."""

    def __init__(self, *, env: dict[str, str], log: Path):
        self.env = {**os.environ, **env}
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # nosec B603: fixed arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "mentorship",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    f"--hostname=faults-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, children too
            )
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no warm shutdown, no acks."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def terminate_backend(pid: int) -> None:
    """End the PostgreSQL session ``pid`` from a connection of our own."""
    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0], f"no PostgreSQL session {pid}"
    finally:
        other.close()
