"""`newsdesk worker` polls sources by itself: real processes, a real SQLite file, and the test's
HTTP server on 127.0.0.1 (the sources allow loopback explicitly)."""

import json
import os
import signal
import subprocess
import time

import pytest

from tests.sourceserver import SourceServer
from tests.test_server import newsdesk


@pytest.fixture
def data_env(tmp_path):
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.fixture
def server():
    running = SourceServer().start()
    yield running
    running.stop()


def run(*args, env):
    process = newsdesk(*args, env=env)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return output


def test_the_worker_polls_sources_and_a_bad_one_beside_them(server, data_env, migrated_sqlite):
    migrated_sqlite(data_env["NEWSDESK_DATA_DIR"])
    good = server.serve_fixture("/water.xml", "rss.xml")
    run("source", "add", "Water", "--kind", "rss", "--url", good, "--allow-private", env=data_env)
    bad = server.serve_fixture("/bomb.xml", "bomb.xml")
    run("source", "add", "Bomb", "--kind", "rss", "--url", bad, "--allow-private", env=data_env)
    worker = newsdesk("worker", env=data_env)
    try:
        items = []
        deadline = time.monotonic() + 120  # waits for the outcome; asserts nothing on time
        while not items and time.monotonic() < deadline:
            time.sleep(0.5)
            items = json.loads(run("source", "items", "Water", "--json", env=data_env))
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert sorted(item["guid"] for item in items) == [
        "rwa-statement-2040",
        "rwa-statement-2041",
    ], output
    listed = run("source", "list", env=data_env)
    assert "Refused: the XML declares entities" in listed
    assert "sources when due" in output
