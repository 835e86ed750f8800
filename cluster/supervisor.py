"""`python -m cluster supervise`: brings the cluster up, then stays as the parent of every
process it started until asked to stop.

Staying matters on two counts: a dead process is reaped and its exit logged (this machine's
init does not reap orphans, so they would linger as zombies), and one process owns the order
of stopping (load balancer first, database last). `python -m cluster up` starts it in the
background and follows its log; `down` sends it SIGTERM, and cleans up on its own if the
supervisor is gone.
"""

import ctypes
import json
import os
import signal
import time

from cluster import network, procs
from cluster.services import Services
from cluster.state import State
from cluster.topology import Topology

PR_SET_CHILD_SUBREAPER = 36
STOP_ORDER = [("lb", "push"), ("worker", "app"), ("media",), ("redis",), ("db",)]
"""Readers' entry first, the truth last; the roles in one group stop at the same time."""


class Stopping(Exception):
    """SIGTERM while starting: give up the start and tear down what was made."""


def progress(line):
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


class Supervisor:
    def __init__(self, state, topology):
        self.state = state
        self.topology = topology
        self.services = Services(state, topology, progress)
        self.starting = True
        self.stop_requested = False
        self.requests_waiting = False

    # --- Start ----------------------------------------------------------------------------

    def steps(self):
        """(name, action) in order: media (SeaweedFS) after Redis, since the demo's setup and
        the app hosts store media from their first request; push (Pushpin) before the
        balancer that routes streams to it."""
        services, topology = self.services, self.topology
        steps = [("network", lambda: network.create(topology, progress))]
        starters = {"db": services.start_db, "redis": services.start_redis,
                    "media": services.start_media}  # fmt: skip
        for role in ("db", "redis", "media"):
            steps += [(host.name, lambda host=host, start=starters[role]: start(host))
                      for host in topology.with_role(role)]  # fmt: skip
        steps.append(("setup", services.set_up_site))
        steps.append(("app hosts", self.start_apps))
        for role, start in (("worker", services.start_worker), ("push", services.start_push),
                            ("lb", services.start_lb)):  # fmt: skip
            steps += [(host.name, lambda host=host, start=start: start(host))
                      for host in topology.with_role(role)]  # fmt: skip
        return steps

    def start_apps(self):
        """Every app host at once (each collects its own static files), then wait for all."""
        started = [(host, self.services.start_app(host)) for host in self.topology.with_role("app")]
        for host, record in started:
            self.services.wait_app(host, record)

    def start(self):
        timings = []
        began = time.monotonic()
        for name, action in self.steps():
            step_began = time.monotonic()
            action()
            timings.append({"step": name, "seconds": round(time.monotonic() - step_began, 1)})
            self.state.set_status(steps=timings)
        self.starting = False
        total = round(time.monotonic() - began, 1)
        self.state.set_status(
            phase="serving",
            ready_at=time.time(),
            start_seconds=total,
            first_start=self.services.first_start,
        )
        progress(f"serving at {self.topology.entry}/ after {total} s")

    # --- Run ------------------------------------------------------------------------------

    def on_stop(self, signum, frame):
        self.stop_requested = True
        if self.starting:
            raise Stopping(f"signal {signum} while starting")

    def on_request(self, signum, frame):
        self.requests_waiting = True

    def reap(self):
        """Collect children that ended, and say which host's process it was."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.services.popens.pop(pid, None)
            for record in procs.records(self.state):
                if record.pid == pid:
                    how = (
                        f"killed by signal {os.WTERMSIG(status)}"
                        if os.WIFSIGNALED(status)
                        else f"exit code {os.WEXITSTATUS(status)}"
                    )
                    progress(f"{record.name} (pid {pid}) ended: {how}")

    def handle_requests(self):
        """`python -m cluster restart HOST` leaves a request in run/requests/."""
        self.requests_waiting = False
        folder = self.state.run / "requests"
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            request = json.loads(path.read_text())
            try:
                self.restart(request["host"])
                result = {"ok": True}
            except Exception as error:  # noqa: BLE001 - reported to whoever asked
                result = {"ok": False, "error": str(error)}
            path.with_suffix(".done").write_text(json.dumps(result))
            path.unlink()

    def restart(self, name):
        host = self.topology.host(name)
        if host.role not in ("app", "worker", "lb", "push", "media"):
            raise ValueError(f"{name} ({host.role}) cannot be restarted on its own")
        procs.stop_all([record for record in procs.records(self.state) if record.host == name])
        procs.sweep(name)  # what the host's processes started (Pushpin's condure, ...)
        self.reap()
        progress(f"{name}: restarting")
        if host.role == "app":
            self.services.wait_app(host, self.services.start_app(host))
        elif host.role == "worker":
            self.services.start_worker(host)
        elif host.role == "lb":
            self.services.start_lb(host)  # with its configuration written anew
        elif host.role == "push":
            self.services.start_push(host)
        else:
            self.services.start_media(host)

    def run(self):
        while not self.stop_requested:
            self.reap()
            if self.requests_waiting or (self.state.run / "requests").exists():
                self.handle_requests()
            time.sleep(0.2)

    # --- Stop -----------------------------------------------------------------------------

    def shutdown(self):
        self.state.set_status(phase="stopping")
        records = procs.records(self.state)
        by_host = {host.name: host.role for host in self.topology.hosts}
        for roles in STOP_ORDER:
            group = [record for record in records if by_host.get(record.host) in roles]
            for record in procs.stop_all(group):
                progress(f"stopped {record.name} (pid {record.pid})")
            self.reap()
        for name in network.namespaces():
            procs.sweep(name)
        removed = network.teardown()
        for record in records:
            procs.forget(self.state, record)
        self.reap()
        progress(f"network removed ({len(removed)} namespaces and links)")
        self.state.set_status(phase="stopped", stopped_at=time.time())


def become_subreaper():
    """Orphans of the processes started here (Pushpin's condure, proxy and handler when its
    runner is killed) become children of the supervisor instead of init, which on this
    machine never reaps them: `reap` collects them."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        progress(f"note: not a subreaper (errno {ctypes.get_errno()}); orphans go to init")


def main(network_cidr, media=True, push=True):
    become_subreaper()
    state = State()
    state.create()
    topology = Topology(network=network_cidr, media=media, push=push)
    state.write_json(state.root / "cluster.json", topology.describe())
    state.write_json(
        state.status_path,
        {
            "phase": "starting",
            "supervisor": os.getpid(),
            "supervisor_started": procs.proc_stat(os.getpid())[1],
            "started_at": time.time(),
            "steps": [],
        },
    )
    supervisor = Supervisor(state, topology)
    signal.signal(signal.SIGTERM, supervisor.on_stop)
    signal.signal(signal.SIGINT, supervisor.on_stop)
    signal.signal(signal.SIGUSR1, supervisor.on_request)
    try:
        supervisor.start()
    except Exception as error:  # noqa: BLE001 - any failure to start is reported and undone
        supervisor.starting = False
        progress(f"FAILED: {error}")
        state.set_status(phase="failed", error=str(error))
        supervisor.shutdown()
        state.set_status(phase="failed")
        return 1
    supervisor.run()
    supervisor.shutdown()
    return 0
