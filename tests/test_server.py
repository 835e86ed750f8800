"""`newsdesk serve` as an operator runs it: a real uvicorn process with its worker."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def newsdesk(*args, env, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def wait_for(url, headers=None, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture
def data_env(tmp_path):
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_serve_refuses_an_unmigrated_database(data_env):
    process = newsdesk("serve", "--port", str(free_port()), env=data_env)
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Run `newsdesk migrate` first" in output


def test_serve_runs_the_site_and_its_worker(data_env):
    migrate = newsdesk("migrate", "--no-input", "--verbosity", "0", env=data_env)
    assert migrate.wait(timeout=180) == 0, migrate.stdout.read()
    port = free_port()
    server = newsdesk("serve", "--port", str(port), env=data_env)
    lines = []
    threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True).start()
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert (status, body) == (200, b"ok\n")
        for _ in range(2):  # rendered, then answered by the page cache
            status, body = wait_for(
                f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"}
            )
            assert status == 200 and b"<main" in body
        deadline = time.monotonic() + 60
        # Two task loops: quick tasks apart from narration (newsdesk/server/taskloops.py);
        # the access log's lines, written in batches (newsdesk/server/accesslog.py).
        expected = ("queues=*", "queues=narration", "ms miss", "ms hit")
        while not all(any(line.rstrip().endswith(end) for line in lines) for end in expected):
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.3)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert server.returncode == 0, "".join(lines)
    home = [line for line in lines if ' access 127.0.0.1 "GET / HTTP/1.1" 200 ' in line]
    assert [line.rsplit(" ", 1)[1].strip() for line in home] == ["miss", "hit"], "".join(lines)
    # One line a request: the ASGI server's own access log is off.
    assert not any('"GET / HTTP/1.1" 200 OK' in line for line in lines), "".join(lines)


def test_make_demo_prints_the_admin_sign_in_last(data_env):
    """`newsdesk serve --demo-admin` (make demo): the user name, password and two-step secret
    come after the server's and the worker's start-up, not buried under a line per task."""
    env = {**data_env, "NEWSDESK_VOICE": "/nowhere/voice.onnx"}  # no narration: quick tasks only
    migrate = newsdesk("migrate", "--no-input", "--verbosity", "0", env=env)
    assert migrate.wait(timeout=180) == 0, migrate.stdout.read()
    create = "from tests.factories import make_article; [make_article() for _ in range(5)]"
    made = newsdesk("shell", "-c", create, env=env, cwd=Path(__file__).parents[1])
    assert made.wait(timeout=120) == 0, made.stdout.read()
    port = free_port()
    server = newsdesk("serve", "--port", str(port), "--demo-admin", env=env)
    lines = []
    threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not any(line.startswith("  Sign in with") for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.3)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    text = "".join(lines)
    password = (Path(env["NEWSDESK_DATA_DIR"]) / "demo-admin-password").read_text().strip()
    block = text.index("  User name:   admin")
    assert text.index(f"  Password:    {password}") > block
    assert text.index("  Secret:      ") > block
    for start_up in ("Uvicorn running", "queues=*", "queues=narration"):
        assert text.index(start_up) < block, start_up
    assert "otpauth://" in (Path(env["NEWSDESK_DATA_DIR"]) / "demo-admin-otpauth").read_text()
    assert "state=SUCCESSFUL" not in text  # no line per task at the default verbosity
