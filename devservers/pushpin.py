"""Pushpin (GRIP proxy) with zurl, for the tests, the benchmarks and `make cluster`.

    with Pushpin("127.0.0.1:8000") as pushpin:          # the origin: a `newsdesk serve`
        env["NEWSDESK_PUSHPIN_URL"] = newsdesk_pushpin_url(pushpin)
        ...readers connect to pushpin.http_url...

Debian's pushpin package (1.36) reaches the origin through zurl, which it expects to run as a
service of its own at /var/run/zurl/, and Debian's zurl.conf refuses loopback and private
addresses. So each instance gets a work directory holding:

- zurl-N.conf: zurl on ipc sockets inside the work directory (two of them by default: one
  zurl takes only about a hundred new requests queued at once, and Pushpin answers 502 to
  the rest), allowing every destination (the only ones are the origins in the routes file);
- pushpin.conf: a copy of /etc/pushpin/pushpin.conf with its own run and log directories,
  ports, zurl sockets, handler sockets (ipc instead of Debian's fixed TCP ports 5560-5563) and
  limits for many connections;
- routes: every request to the origin(s);
- pushpin.log and zurl-N.log.

Pushpin's runner starts condure (the connection manager), pushpin-proxy and pushpin-handler;
`stop()` ends the process groups of the runner and of zurl, so nothing is left running.
`command_prefix` runs both under another command, e.g. ["ip", "netns", "exec", "nd-push"];
then give the ports (free ones are looked for on `bind` from this process, which may not be
where the address lives), and the bind address must be reachable from this process, which
checks readiness over HTTP.
"""

import contextlib
import http.client
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DEBIAN_CONF = Path("/etc/pushpin/pushpin.conf")
PROGRAMS = ("pushpin", "zurl", "condure")
STOP_SECONDS = 10


def missing_programs():
    """The Pushpin programs not installed here (empty when Pushpin can run)."""
    missing = [name for name in PROGRAMS if shutil.which(name) is None]
    if not DEBIAN_CONF.exists():
        missing.append(str(DEBIAN_CONF))
    return missing


def free_port(bind="127.0.0.1"):
    with socket.socket() as probe:
        probe.bind((bind, 0))
        return probe.getsockname()[1]


def newsdesk_pushpin_url(*instances):
    """The NEWSDESK_PUSHPIN_URL value for these instances: their control endpoints."""
    return ",".join(instance.control_url for instance in instances)


def set_option(text, section, key, value):
    """`text` (an INI file) with `key=value` in `section`: the existing line replaced (comments
    kept), or a new line right after the section header."""
    header = re.search(rf"(?m)^\[{re.escape(section)}\][ \t]*\n", text)
    if header is None:
        return f"{text.rstrip()}\n\n[{section}]\n{key}={value}\n"
    following = re.search(r"(?m)^\[", text[header.end() :])
    end = header.end() + following.start() if following else len(text)
    body = text[header.end() : end]
    line = re.compile(rf"(?m)^{re.escape(key)}[ \t]*=.*$")
    if line.search(body):
        body = line.sub(lambda _: f"{key}={value}", body, count=1)
    else:
        body = f"{key}={value}\n{body}"
    return text[: header.end()] + body + text[end:]


class Pushpin:
    """One Pushpin instance and its zurl, in front of `origin` ("host:port", or a list)."""

    def __init__(
        self,
        origin,
        *,
        workdir=None,
        bind="127.0.0.1",
        http_port=None,
        control_port=None,
        command_prefix=(),
        max_connections=50_000,
        buffer_size=4096,
        message_rate=1_000_000,
        message_hwm=10_000_000,
        log_level=2,
        ready_path="/healthz",
        zurl_workers=2,
        extra_options=(),
    ):
        self.origins = [origin] if isinstance(origin, str) else list(origin)
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="newsdesk-pushpin-"))
        self.bind = bind
        self.http_port = http_port or free_port(bind)
        self.control_port = control_port or free_port(bind)
        self.command_prefix = list(command_prefix)
        self.max_connections = max_connections
        # condure keeps two buffers of this size per reader: Debian's 8192 made 51 KB a
        # reader in all, 2048 37-39 KB, 4096 41 KB. An event larger than the buffer goes out
        # in pieces, each a message between Pushpin's processes: with 2048, a live update
        # (about 2.6 KB) cost condure twice the CPU per reader (BENCHMARKS.md, scale-out).
        self.buffer_size = buffer_size
        # Debian's 2,500 deliveries a second (one per reader and update) would take 4 s to
        # reach 10,000 readers, and its 25,000 queued deliveries drop an update for readers
        # past that; the limits here only guard against runaway queues.
        self.message_rate = message_rate
        self.message_hwm = message_hwm
        self.log_level = log_level
        self.ready_path = ready_path
        self.zurl_workers = zurl_workers
        # More (section, key, value) settings for pushpin.conf, applied last (the benchmarks
        # try tunings this way).
        self.extra_options = list(extra_options)
        self.pushpin = None
        self.zurls = []

    @property
    def http_url(self):
        return f"http://{self.bind}:{self.http_port}"

    @property
    def control_url(self):
        return f"http://{self.bind}:{self.control_port}"

    # --- configuration ----------------------------------------------------------------------

    def write_config(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        run = self.workdir
        for number in range(self.zurl_workers):
            (run / f"zurl-{number}.conf").write_text(
                "[General]\n"
                f"in_spec=ipc://{run}/zurl-{number}-in\n"
                f"in_stream_spec=ipc://{run}/zurl-{number}-in-stream\n"
                f"out_spec=ipc://{run}/zurl-{number}-out\n"
                f"in_req_spec=ipc://{run}/zurl-{number}-req\n"
                "ipc_file_mode=600\n"
                # Pushpin marks its requests "ignore-policies", so Debian's deny list for
                # 127.*, 10.* and 192.168.* (where origins live) would not stop them anyway.
                "defpolicy=allow\n"
                "deny=\n"
                "max_open_requests=10000\n"
                "buffer_size=200000\n"
                "timeout=600\n"
            )
        (run / "routes").write_text(f"* {' '.join(self.origins)}\n")
        conf = DEBIAN_CONF.read_text()
        options = [
            ("global", "rundir", str(run)),
            ("runner", "http_port", f"{self.bind}:{self.http_port}"),
            ("runner", "logdir", str(run)),
            ("runner", "log_level", str(self.log_level)),
            ("runner", "client_maxconn", str(self.max_connections)),
            ("runner", "client_buffer_size", str(self.buffer_size)),
            ("proxy", "routesfile", str(run / "routes")),
            # In front of Pushpin is a load balancer that terminates TLS and sets (overwrites)
            # X-Forwarded-Proto; Pushpin passes it on, also on its own recovery requests.
            ("proxy", "accept_x_forwarded_protocol", "true"),
            ("proxy", "zurl_out_specs", self._zurl_specs("in")),
            ("proxy", "zurl_out_stream_specs", self._zurl_specs("in-stream")),
            ("proxy", "zurl_in_specs", self._zurl_specs("out")),
            ("handler", "push_in_spec", f"ipc://{run}/push-in"),
            ("handler", "push_in_sub_specs", f"ipc://{run}/push-in-sub"),
            ("handler", "command_spec", f"ipc://{run}/handler-command"),
            ("handler", "push_in_http_addr", self.bind),
            ("handler", "push_in_http_port", str(self.control_port)),
            ("handler", "message_rate", str(self.message_rate)),
            ("handler", "message_hwm", str(self.message_hwm)),
        ]
        for section, key, value in [*options, *self.extra_options]:
            conf = set_option(conf, section, key, value)
        (run / "pushpin.conf").write_text(conf)

    def _zurl_specs(self, socket_name):
        return ",".join(
            f"ipc://{self.workdir}/zurl-{number}-{socket_name}"
            for number in range(self.zurl_workers)
        )

    # --- processes --------------------------------------------------------------------------

    def start(self, timeout=30):
        """Write the configuration, start zurl (unless running) and Pushpin, wait until both
        answer. Also restarts Pushpin after kill(), on the same ports."""
        missing = missing_programs()
        if missing:
            raise RuntimeError(
                f"Pushpin cannot run here: {', '.join(missing)} missing "
                "(on Debian: apt-get install pushpin)"
            )
        self.write_config()
        self.zurls = [
            zurl if zurl.poll() is None else self._start_zurl(number)
            for number, zurl in enumerate(self.zurls)
        ] or [self._start_zurl(number) for number in range(self.zurl_workers)]
        self.pushpin = self._spawn(self.pushpin_command(), "pushpin.log")
        try:
            self.wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_zurl(self, number):
        return self._spawn(self.zurl_command(number), f"zurl-{number}.log")

    def zurl_command(self, number):
        return ["zurl", f"--config={self.workdir / f'zurl-{number}.conf'}"]

    def pushpin_command(self):
        """Pushpin's runner, which starts condure, pushpin-proxy and pushpin-handler."""
        return ["pushpin", f"--config={self.workdir / 'pushpin.conf'}", "--merge-output"]

    def _spawn(self, command, log_name):
        log = open(self.workdir / log_name, "ab")  # noqa: SIM115 - the child keeps it
        try:
            return subprocess.Popen(  # noqa: S603 - fixed programs, our own arguments
                [*self.command_prefix, *command],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, ended as a whole
                preexec_fn=self._raise_file_limit,  # noqa: PLW1509 - no threads involved
            )
        finally:
            log.close()

    def _raise_file_limit(self):
        # condure holds one descriptor per reader; the handler and zurl a few more.
        wanted = self.max_connections + 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < wanted:
            with contextlib.suppress(ValueError, OSError):  # only root may raise the hard limit
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
                return
            wanted = hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))

    def wait_until_ready(self, timeout=30):
        """Until the control endpoint and the proxy both answer HTTP (any status: the origin
        may not be up yet, and a 502 from Pushpin proves its own plumbing works)."""
        deadline = time.monotonic() + timeout
        for port, path in ((self.control_port, "/"), (self.http_port, self.ready_path)):
            while not self.answers(port, path):
                named = [("pushpin", self.pushpin)]
                named += [(f"zurl-{number}", zurl) for number, zurl in enumerate(self.zurls)]
                for name, process in named:
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with status {process.returncode}:\n"
                            + self.log_tail(f"{name}.log")
                        )
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"Pushpin did not answer on {self.bind}:{port} within {timeout} s:\n"
                        + self.log_tail()
                    )
                time.sleep(0.1)
        # The proxy answered, so its sockets to condure and zurl are connected; give the
        # handler's (connected at the same moment) a moment too before a first hold.
        time.sleep(0.3)

    def answers(self, port, path):
        connection = http.client.HTTPConnection(self.bind, port, timeout=5)
        try:
            connection.request("GET", path)
            connection.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def kill(self):
        """Kill Pushpin at once (SIGKILL, as in a crash); zurl keeps running. start() again."""
        _end([self.pushpin], signal.SIGKILL)
        self.pushpin = None

    def stop(self):
        """Stop Pushpin and zurl (SIGTERM, then SIGKILL after STOP_SECONDS)."""
        _end([self.pushpin, *self.zurls], signal.SIGTERM)
        self.pushpin, self.zurls = None, []
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def pids(self):
        """Every running process of this instance: Pushpin's runner and what it started
        (condure, pushpin-proxy, pushpin-handler), and zurl."""
        return _tree([p.pid for p in (self.pushpin, *self.zurls) if p is not None])

    def log_tail(self, name="pushpin.log", lines=40):
        with contextlib.suppress(OSError):
            text = (self.workdir / name).read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        return f"(no {name})"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _end(processes, first_signal):
    """End processes we started and everything they started, and wait until all are gone.

    Pushpin's runner puts condure and pushpin-handler in process groups of their own, so a
    signal to the runner's group would leave them running: the whole tree is collected first.
    """
    processes = [p for p in processes if p is not None]
    tree = _tree([p.pid for p in processes])
    _signal(tree, first_signal)
    deadline = time.monotonic() + STOP_SECONDS
    while True:
        for process in processes:
            process.poll()  # reap our own children
        running = [pid for pid in tree if _state(pid) not in (None, "Z")]
        if not running:
            return
        if time.monotonic() > deadline:
            _signal(running, signal.SIGKILL)
            deadline = time.monotonic() + STOP_SECONDS
        time.sleep(0.05)


def _signal(pids, number):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, number)


def _stat(pid):
    """(state, parent pid) of a process, None when it is gone."""
    try:
        # The fields after the command name (which may hold spaces and parentheses).
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _state(pid):
    stat = _stat(pid)
    return stat and stat[0]


def _tree(roots):
    """The running (not zombie) processes among `roots` and their descendants."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat is not None and stat[0] != "Z":
                parents[int(entry.name)] = stat[1]
    found, frontier = [], [pid for pid in roots if pid in parents]
    while frontier:
        found.extend(frontier)
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
    return found
