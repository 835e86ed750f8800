"""devservers/seaweedfs.py: the S3 server tests, CI and `make cluster` start."""

import subprocess
import sys
from pathlib import Path

from devservers.seaweedfs import (
    STATE_FILE,
    Ports,
    SeaweedFS,
    group_alive,
    identities,
    media_settings,
)
from newsdesk.media import config

ROOT = Path(__file__).resolve().parents[1]


def test_its_settings_are_what_newsdesk_parses():
    server = SeaweedFS("/nonexistent", bind_ip="10.0.0.5", ports=Ports(*range(9001, 9009)))
    env = media_settings(server, prefix="site-a")
    location = config.parse_storage(env["NEWSDESK_MEDIA_STORAGE"])
    assert location.endpoint_url == "http://10.0.0.5:9007"
    assert (location.bucket, location.prefix) == ("newsdesk-media", "site-a")
    assert (location.access_key, location.secret_key) == (server.access_key, server.secret_key)
    assert env["NEWSDESK_MEDIA_URL"] == "http://10.0.0.5:9007/newsdesk-media/site-a/"
    reader = media_settings(server, media_url="/media/", host="media.internal")
    assert reader["NEWSDESK_MEDIA_URL"] == "/media/"
    assert "@media.internal:9007/" in reader["NEWSDESK_MEDIA_STORAGE"]
    # Anonymous readers get one action, on the public bucket only.
    anonymous, app = identities("newsdesk-media", "k", "s")["identities"]
    assert anonymous == {"name": "anonymous", "actions": ["Read:newsdesk-media"]}
    assert app["credentials"] == [{"accessKey": "k", "secretKey": "s"}]


def test_start_and_stop_from_a_shell_leave_nothing_running(tmp_path):
    run = [sys.executable, "-m", "devservers.seaweedfs"]
    started = subprocess.run(
        [*run, "start", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert started.returncode == 0, started.stderr
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
    )
    assert set(exports) == {"NEWSDESK_MEDIA_STORAGE", "NEWSDESK_MEDIA_URL"}
    state = tmp_path / STATE_FILE
    assert oct(state.stat().st_mode & 0o777) == "0o600"  # it holds the secret
    server = SeaweedFS.from_state(tmp_path)
    pid = server._state_pid()
    client = server.client()
    assert {bucket["Name"] for bucket in client.list_buckets()["Buckets"]} >= {
        "newsdesk-media",
        "newsdesk-media-private",
    }
    stopped = subprocess.run([*run, "stop", str(tmp_path)], cwd=ROOT, timeout=60)
    assert stopped.returncode == 0
    assert not group_alive(pid) and not state.exists()
    again = subprocess.run(
        [*run, "stop", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert again.returncode == 1 and "No SeaweedFS was started" in again.stderr
