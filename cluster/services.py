"""How each kind of host is started, and how the supervisor knows it is ready.

The machine's own PostgreSQL and Redis (on 127.0.0.1) are not used: a namespace cannot reach
the machine's loopback, and a real deployment has them on hosts of their own. nd-db runs a
PostgreSQL cluster made here (initdb) with its data under hosts/nd-db/, as user postgres;
nd-redis runs redis-server with a password and no persistence (it holds a cache and wake-ups,
never the truth). nd-media runs SeaweedFS (devservers/seaweedfs.py) with its data under
hosts/nd-media/; nd-push runs Pushpin and its zurl (devservers/pushpin.py), whose
configuration is written under hosts/nd-push/.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

from cluster import haproxy, procs
from cluster.network import PG_BIN
from cluster.state import ROOT
from cluster.topology import INTERNAL_ORIGIN_PORT, MEDIA_BUCKET, PUSH_CONTROL_PORT
from devservers.pushpin import Pushpin
from devservers.seaweedfs import Ports, SeaweedFS

VENV = ROOT / ".venv"
SETUP_HOST = "nd-worker-a"
"""Where `migrate` and `demo` run, once, before any app host serves (as an operator's deploy
step would, from one machine of the cluster)."""
WAIT_SECONDS = 180


def newsdesk(*args):
    return [str(VENV / "bin" / "python"), "-m", "newsdesk.cli", *args]


class NotReady(RuntimeError):
    pass


class Services:
    def __init__(self, state, topology, progress):
        self.state = state
        self.topology = topology
        self.progress = progress
        self.secrets = state.secrets()
        self.popens = {}  # pid -> Popen, so the supervisor can reap its children
        self.first_start = False  # True when this start made the database

    # --- Environments ---------------------------------------------------------------------

    def base_env(self, home):
        return {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(home),
        }

    def host_env(self, name, data_dir=None):
        """What `newsdesk` sees on an app or worker host; also kept in hosts/<name>/env
        (0600) for `python -m cluster run`."""
        folder = self.state.host_dir(name)
        data_dir = data_dir or folder / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        host = self.topology.host(name)
        env = {
            **self.base_env(folder),
            **self.topology.app_environment(host, self.secrets, data_dir),
        }
        lines = "".join(f"{key}={value}\n" for key, value in sorted(env.items()))
        fd = os.open(folder / "env", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(lines)
        return env

    def spawn(self, name, host, argv, env, **options):
        record, popen = procs.spawn(self.state, name, host, argv, env, **options)
        self.popens[record.pid] = popen
        return record

    # --- Waiting --------------------------------------------------------------------------

    def wait_for(self, what, record, check, timeout=WAIT_SECONDS):
        """Poll `check()` until true; fail early, with the log's tail, if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not procs.running(record):
                raise NotReady(f"{what} exited while starting:\n{procs.tail(record.log)}")
            try:
                if check():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise NotReady(f"{what} not ready after {timeout} s:\n{procs.tail(record.log)}")

    def port_open(self, name, port):
        address = self.topology.address(name)

        def check():
            with socket.create_connection((address, port), timeout=1):
                return True

        return check

    # --- nd-db: PostgreSQL ----------------------------------------------------------------

    def start_db(self, host):
        folder = self.state.host_dir(host.name)
        pgdata, sockets = folder / "pgdata", folder / "socket"
        sockets.mkdir(exist_ok=True)
        for path in (folder, sockets):
            shutil.chown(path, "postgres", "postgres")
        self.first_start = not (pgdata / "PG_VERSION").exists()
        if self.first_start:
            self.progress("nd-db: initdb (first start)")
            procs.run(self.state, "nd-db-initdb", host.name,
                      [str(PG_BIN / "initdb"), "-D", str(pgdata), "-U", "postgres",
                       "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8"],
                      self.base_env(folder), user="postgres")  # fmt: skip
            with open(pgdata / "pg_hba.conf", "a") as hba:
                hba.write(f"host newsdesk newsdesk {self.topology.network} scram-sha-256\n")
        address = self.topology.address(host.name)
        record = self.spawn(host.name, host.name,
                            [str(PG_BIN / "postgres"), "-D", str(pgdata),
                             "-c", f"listen_addresses={address}", "-c", "port=5432",
                             "-c", f"unix_socket_directories={sockets}",
                             "-c", "max_connections=200"],
                            self.base_env(folder), user="postgres",
                            stop_signal=signal.SIGINT)  # fmt: skip  # SIGINT: fast shutdown
        self.wait_for("PostgreSQL", record, self.port_open(host.name, 5432))
        self.wait_for("PostgreSQL", record, lambda: self.psql(host, "SELECT 1", sockets) == "1")
        self.ensure_database(host, sockets)
        self.progress(f"nd-db: PostgreSQL on {address}:5432")

    def psql(self, host, sql, sockets, database="postgres"):
        result = subprocess.run(  # noqa: S603 - PostgreSQL's psql with our own SQL
            procs.command_in(host.name,
                             [str(PG_BIN / "psql"), "-h", str(sockets), "-d", database,
                              "-v", "ON_ERROR_STOP=1", "-tAq", "-f", "-"], user="postgres"),
            input=sql, capture_output=True, text=True, check=False, timeout=60,
            env=self.base_env(self.state.host_dir(host.name)),
        )  # fmt: skip
        if result.returncode != 0:
            raise OSError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def ensure_database(self, host, sockets):
        # Through standard input, so the password never shows in a process list.
        password = self.secrets["db_password"].replace("'", "''")
        exists = self.psql(
            host, "SELECT count(*) FROM pg_roles WHERE rolname = 'newsdesk'", sockets
        )
        verb = "ALTER" if exists == "1" else "CREATE"
        self.psql(host, f"{verb} ROLE newsdesk LOGIN PASSWORD '{password}'", sockets)
        if (
            self.psql(host, "SELECT count(*) FROM pg_database WHERE datname = 'newsdesk'", sockets)
            == "0"
        ):
            self.psql(host, "CREATE DATABASE newsdesk OWNER newsdesk", sockets)

    # --- nd-redis ------------------------------------------------------------------------

    def start_redis(self, host):
        folder = self.state.host_dir(host.name)
        address = self.topology.address(host.name)
        config = folder / "redis.conf"
        settings = (
            f"bind {address}\nport 6379\nprotected-mode yes\n"
            f"requirepass {self.secrets['redis_password']}\n"
            f'save ""\nappendonly no\ndir {folder}\nlogfile ""\nmaxclients 10000\n'
        )
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(settings)
        record = self.spawn(host.name, host.name, ["redis-server", str(config)],
                            self.base_env(folder))  # fmt: skip
        self.wait_for("Redis", record, self.port_open(host.name, 6379))
        self.progress(f"nd-redis: Redis on {address}:6379")

    # --- nd-media: SeaweedFS -------------------------------------------------------------

    def media_server(self, host):
        """The SeaweedFS of nd-media: SeaweedFS's usual ports on the host's own address, the
        cluster's bucket and the key the app hosts use (devservers/seaweedfs.py)."""
        return SeaweedFS(
            self.state.host_dir(host.name),
            bind_ip=self.topology.address(host.name),
            ports=Ports(master=9333, master_grpc=19333, volume=8080, volume_grpc=18080,
                        filer=8888, filer_grpc=18888, s3=host.port, s3_grpc=18333),
            bucket=MEDIA_BUCKET,
            access_key=self.secrets["media_key"],
            secret_key=self.secrets["media_secret"],
            weed=str(VENV / "bin" / "weed"),
        )  # fmt: skip

    def start_media(self, host):
        server = self.media_server(host)
        server.prepare()
        # SIGTERM makes the volume server flush and close its files at once; the filer then
        # waits 15 s for gRPC streams to end before it exits, which protects nothing here.
        record = self.spawn(host.name, host.name, server.server_argv(),
                            self.base_env(self.state.host_dir(host.name)),
                            stop_seconds=5.0)  # fmt: skip

        def buckets_ready():
            try:
                server.make_buckets()
            except Exception:  # noqa: BLE001 - any error of boto3's means "not yet"
                return False
            return True

        self.wait_for("SeaweedFS", record, buckets_ready)
        self.progress(
            f"nd-media: SeaweedFS S3 on {server.endpoint_url}, buckets {server.bucket} "
            f"(readable by anyone) and {server.private_bucket} (originals: key only)"
        )
        return record

    # --- nd-push: Pushpin ----------------------------------------------------------------

    def pushpin(self, host):
        """Pushpin on nd-push, in front of the balancer's internal frontend (fe_origin), which
        sends its requests on to the healthy app hosts."""
        return Pushpin(
            f"{self.topology.address('nd-lb')}:{INTERNAL_ORIGIN_PORT}",
            workdir=self.state.host_dir(host.name) / "pushpin",
            bind=self.topology.address(host.name),
            http_port=host.port,
            control_port=PUSH_CONTROL_PORT,
            # condure holds a descriptor per reader: promise no more than the process may
            # open (20,000 on this machine, where even root cannot raise it), less a margin.
            max_connections=max(1000, procs.file_limit() - 2000),
        )

    def start_push(self, host):
        pushpin = self.pushpin(host)
        pushpin.write_config()
        env = self.base_env(self.state.host_dir(host.name))
        zurls = [
            self.spawn(f"{host.name}-zurl-{number}", host.name, pushpin.zurl_command(number), env)
            for number in range(pushpin.zurl_workers)
        ]
        # Pushpin's runner starts condure, pushpin-proxy and pushpin-handler and stops them
        # when it is stopped; if it is killed they would stay, which `down` sweeps up.
        record = self.spawn(host.name, host.name, pushpin.pushpin_command(), env)
        for zurl in zurls:
            self.wait_for("zurl", zurl, lambda: True, timeout=5)
        # Any answer: the balancer behind it may not be up yet (a 502 proves Pushpin's own
        # plumbing works).
        self.wait_for("Pushpin", record, lambda: pushpin.answers(PUSH_CONTROL_PORT, "/"))
        self.wait_for("Pushpin", record, lambda: pushpin.answers(host.port, "/healthz"))
        self.progress(
            f"nd-push: Pushpin on {pushpin.http_url} (publish: {pushpin.control_url}), "
            f"origin {pushpin.origins[0]}, up to {pushpin.max_connections:,} readers"
        )
        return record

    # --- Setup, app hosts, workers ---------------------------------------------------------

    def set_up_site(self):
        """Migrate and load the demo once, before any app host serves."""
        env = self.host_env(SETUP_HOST, data_dir=self.state.setup / "data")
        log = self.state.log("setup")
        log.touch(mode=0o600)
        log.chmod(0o600)  # the demo prints the admin's password and two-step secret
        self.progress("setup: newsdesk migrate")
        procs.run(self.state, "setup", SETUP_HOST, newsdesk("migrate", "--no-input"), env)
        self.progress("setup: newsdesk demo --with-admin")
        procs.run(self.state, "setup", SETUP_HOST, newsdesk("demo", "--with-admin"), env)

    def start_app(self, host):
        address = self.topology.address(host.name)
        argv = newsdesk("serve", "--no-worker", "--host", address, "--port", str(host.port))
        return self.spawn(host.name, host.name, argv, self.host_env(host.name))

    def wait_app(self, host, record):
        url = f"http://{self.topology.address(host.name)}:{host.port}/healthz"
        self.wait_for(host.name, record, lambda: self.http_status(url) == 200)
        self.progress(f"{host.name}: serving on {self.topology.address(host.name)}:{host.port}")

    def http_status(self, url, tls=False):
        """Status of a GET with the entry's Host header (the only one the app hosts accept)."""
        headers = {"Host": self.topology.address("nd-lb")}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own hosts
        context = None
        if tls:
            context = ssl.create_default_context(cafile=self.state.tls_certificate)
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def start_worker(self, host):
        # nice 10: on this machine the "hosts" share two cores, and narration would otherwise
        # slow readers' requests; on separate machines it would not be needed.
        record = self.spawn(host.name, host.name, newsdesk("worker"), self.host_env(host.name),
                            nice=10)  # fmt: skip
        self.progress(f"{host.name}: newsdesk worker")
        return record

    # --- nd-lb: HAProxy ------------------------------------------------------------------

    def make_certificate(self):
        if self.state.tls_pem.exists():
            return
        entry = self.topology.address("nd-lb")
        key = self.state.secrets_dir / "entry.key"
        subprocess.run(  # noqa: S603 - openssl with our own arguments
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",  # noqa: S607
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "825", "-subj",
             f"/CN={entry}", "-addext", f"subjectAltName=IP:{entry}",
             "-keyout", str(key), "-out", str(self.state.tls_certificate)],
            check=True, capture_output=True,
        )  # fmt: skip
        fd = os.open(self.state.tls_pem, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.state.tls_certificate.read_text() + key.read_text())
        key.unlink()
        self.progress(f"TLS: self-signed certificate for {entry} ({self.state.tls_certificate})")

    def start_lb(self, host):
        self.make_certificate()
        folder = self.state.host_dir(host.name)
        config = folder / "haproxy.cfg"
        config.write_text(
            haproxy.render(
                self.topology, pem=self.state.tls_pem, stats_socket=self.state.stats_socket
            )
        )
        check = subprocess.run(  # noqa: S603 - haproxy's own configuration check
            ["haproxy", "-c", "-q", "-f", str(config)],  # noqa: S607 - Debian's haproxy
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise NotReady(f"HAProxy refused {config}:\n{check.stdout}{check.stderr}")
        record = self.spawn(host.name, host.name, ["haproxy", "-db", "-f", str(config)],
                            self.base_env(folder))  # fmt: skip
        apps = [app.name for app in self.topology.with_role("app")]

        def all_up():
            states = haproxy.server_states(self.state.stats_socket)
            return all(states.get(("be_app", name)) == "UP" for name in apps)

        self.wait_for("HAProxy", record, all_up)
        entry = self.topology.entry
        self.wait_for("HAProxy", record, lambda: self.http_status(f"{entry}/", tls=True) == 200)
        self.progress(f"nd-lb: HAProxy on {entry}/ (and http:// redirecting to it)")
        return record
