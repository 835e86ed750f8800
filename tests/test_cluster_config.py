"""The cluster's pure parts (cluster/topology.py, cluster/haproxy.py), checked without root
and without starting anything; HAProxy itself checks the configuration it would run."""

import shutil
import subprocess

import pytest

from cluster import haproxy, network
from cluster.topology import Topology

SECRETS = {
    "secret_key": "k" * 50,
    "db_password": "dbpass",
    "redis_password": "redispass",
    "media_key": "mediakey",
    "media_secret": "mediasecret",
}


def test_hosts_have_addresses_on_the_network_and_valid_link_names():
    topology = Topology(network="10.88.5.0/24")
    assert topology.entry == "https://10.88.5.10"
    assert topology.gateway == "10.88.5.1"
    names = [host.name for host in topology.enabled()]
    assert names[0] == "nd-db" and names[-1] == "nd-lb", "the database first, the entry last"
    assert "nd-media" not in names and "nd-push" not in names
    assert {host.role for host in topology.enabled()} == {"lb", "app", "worker", "db", "redis"}
    assert all(len(host.veth()) <= 15 for host in topology.hosts), "Linux limits names to 15"
    assert len({host.veth() for host in topology.hosts}) == len(topology.hosts)


def test_only_a_private_ipv4_slash_24_is_accepted():
    with pytest.raises(ValueError, match="/24"):
        Topology(network="10.77.0.0/16")


def test_app_hosts_get_production_settings_for_the_entry(tmp_path):
    topology = Topology()
    env = topology.app_environment(topology.host("nd-app-a"), SECRETS, tmp_path)
    assert env["NEWSDESK_DEBUG"] == "false"
    assert env["NEWSDESK_DATA_DIR"] == str(tmp_path)
    assert env["DATABASE_URL"] == "postgres://newsdesk:dbpass@10.77.0.20:5432/newsdesk"
    assert env["REDIS_URL"] == "redis://:redispass@10.77.0.21:6379/0"
    assert env["NEWSDESK_ALLOWED_HOSTS"] == "10.77.0.10"
    assert env["NEWSDESK_BASE_URL"] == "https://10.77.0.10"
    assert env["NEWSDESK_TRUSTED_PROXIES"] == "10.77.0.10"
    assert "NEWSDESK_MEDIA_STORAGE" not in env and "NEWSDESK_PUSHPIN_URL" not in env


def test_media_and_push_hosts_plug_into_the_settings_when_turned_on(tmp_path):
    topology = Topology(media=True, push=True)
    env = topology.app_environment(topology.host("nd-worker-a"), SECRETS, tmp_path)
    assert env["NEWSDESK_MEDIA_STORAGE"] == (
        "s3+http://mediakey:mediasecret@10.77.0.30:8333/newsdesk"
    )
    assert env["NEWSDESK_MEDIA_URL"] == "https://10.77.0.10/media/"
    assert env["NEWSDESK_PUSHPIN_URL"] == "http://10.77.0.31:5561"
    assert env["NEWSDESK_TRUSTED_PROXIES"] == "10.77.0.10,10.77.0.31"
    names = [host.name for host in topology.enabled()]
    assert names.index("nd-media") < names.index("nd-app-a") < names.index("nd-push")


def test_balancer_routes_streams_to_app_hosts_until_pushpin_joins():
    plain = haproxy.render(Topology(), pem="/x.pem", stats_socket="/x.sock")
    assert "use_backend be_events if events" in plain
    assert "be_push" not in plain and "be_media" not in plain and "fe_origin" not in plain
    assert "server nd-app-a 10.77.0.11:8000 check" in plain
    assert "server nd-app-b 10.77.0.12:8000 track be_app/nd-app-b" in plain
    assert "http-request disable-l7-retry unless METH_GET" in plain

    full = haproxy.render(Topology(media=True, push=True), pem="/x.pem", stats_socket="/x.sock")
    lines = [line.strip() for line in full.splitlines()]
    assert lines.index("use_backend be_push if events { nbsrv(be_push) gt 0 }") < lines.index(
        "use_backend be_events if events"
    ), "Pushpin takes the streams while it is up, the app hosts while it is down"
    assert "tcp-request connection reject unless { src 10.77.0.31 }" in lines
    assert "bind 10.77.0.10:8080" in lines, "Pushpin's requests to the app hosts fail over too"
    assert "http-request set-path /newsdesk%[path,regsub(^/media/,/)]" in lines
    deny = next(line for line in lines if line.startswith("http-request deny"))
    assert "/media/original_images/" in deny, "originals are never public"
    assert lines.index(deny) < lines.index("use_backend be_media if { path_beg /media/ }")


@pytest.mark.skipif(not shutil.which("haproxy"), reason="HAProxy is not installed")
@pytest.mark.parametrize("parts", [{}, {"media": True, "push": True}])
def test_haproxy_accepts_the_configuration(tmp_path, parts):
    pem = tmp_path / "entry.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=test", "-keyout", str(tmp_path / "key"),
         "-out", str(tmp_path / "crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    pem.write_text((tmp_path / "crt").read_text() + (tmp_path / "key").read_text())
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        haproxy.render(Topology(**parts), pem=pem, stats_socket=tmp_path / "stats.sock")
    )
    check = subprocess.run(
        ["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_cluster_refuses_clearly_without_root():
    found = network.problems(euid=1000)
    assert any("needs root" in problem for problem in found)


def test_a_cluster_another_checkout_started_is_left_alone(tmp_path):
    """Namespaces are the machine's: only the checkout that claimed them may stop them."""
    from cluster.state import State, claim, owned_elsewhere, release

    claim_file = tmp_path / "lock" / "newsdesk-cluster.json"
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    state = State(mine / "var" / "cluster")
    state.create()
    assert owned_elsewhere([], state, claim_file, mine) is None, "nothing running: nothing to guard"
    claim(claim_file, theirs)
    assert "theirs" in owned_elsewhere(["nd-db"], state, claim_file, mine)
    release(claim_file, mine)  # not ours to release
    assert claim_file.exists()
    claim(claim_file, mine)
    assert (mine / "var" / "cluster" / "LOCK").exists()
    assert owned_elsewhere(["nd-db"], state, claim_file, mine) is None
    release(claim_file, mine)
    assert not claim_file.exists() and not (mine / "var" / "cluster" / "LOCK").exists()
    # No claim at all (a checkout from before claims): ours only if we recorded processes.
    assert owned_elsewhere(["nd-db"], state, claim_file, mine) is not None
    (state.run / "nd-db.json").write_text("{}")
    assert owned_elsewhere(["nd-db"], state, claim_file, mine) is None


def test_each_process_gets_its_own_time_to_stop(tmp_path):
    """SeaweedFS is given 5 s before SIGKILL, the others 15 s, in one stop of a group."""
    import time

    from cluster import procs

    started = []
    for seconds in (0.5, 30):
        # Ignores SIGTERM, as a server finishing its work would for a while.
        process = subprocess.Popen(
            ["sh", "-c", "trap '' TERM; echo ready; exec sleep 60"], stdout=subprocess.PIPE
        )
        assert process.stdout.readline() == b"ready\n"  # the trap is set
        record = procs.Record("t", "", process.pid, procs.proc_stat(process.pid)[1], "", [])
        record.stop_seconds = seconds
        started.append((record, process))
    began = time.monotonic()
    quick, slow = started
    procs.stop_all([quick[0]])
    assert quick[1].wait(5) == -9, "SIGKILL once its time was up"
    assert time.monotonic() - began < 10
    assert procs.running(slow[0]), "the other one was not touched"
    slow[1].kill()
    slow[1].wait()
