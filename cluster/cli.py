"""python -m cluster up | down | status | run | restart | test (docs/scaling.md).

`up` starts the supervisor in the background, shows its progress and ends with a summary;
`down` stops everything and removes every namespace and link, whatever state the cluster is
in (twice in a row, after a crash, after a start that failed half-way).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from cluster import haproxy, network, procs, report
from cluster.state import ROOT, State, claim, owned_elsewhere, release
from cluster.topology import DEFAULT_NETWORK

START_TIMEOUT = 900


def supervisor(state):
    status = state.status()
    if not status.get("supervisor"):
        return None
    return procs.Record(
        "supervisor", "", status["supervisor"], status.get("supervisor_started", 0), "", []
    )


def supervisor_running(state):
    record = supervisor(state)
    return record is not None and procs.running(record)


def relative(path):
    return os.path.relpath(path, ROOT)


# --- up ------------------------------------------------------------------------------------


def parts_arguments(args):
    return [
        "--network",
        args.network,
        "--media" if args.media else "--no-media",
        "--push" if args.push else "--no-push",
    ]


def up(args):
    found = network.problems(media=args.media, push=args.push)
    if found:
        print("Cannot start the cluster:\n  " + "\n  ".join(found))
        return 2
    state = State()
    if supervisor_running(state):
        if state.status().get("phase") == "serving":
            print("The cluster is already running.\n")
            print_summary(state)
            return 0
        print("A cluster supervisor is running but not serving: run `make cluster-down` first.")
        return 1
    elsewhere = owned_elsewhere(network.namespaces(), state)
    if elsewhere:
        print(
            f"The namespaces {', '.join(network.namespaces())} belong to {elsewhere}: wait "
            "until it is stopped there (make cluster-down in that checkout). If nothing uses "
            "them any more: python3 -m cluster down --force"
        )
        return 1
    if network.namespaces() or network.links() or (state.run.exists() and procs.records(state)):
        print("Cleaning up what an earlier cluster left behind first.")
        down(argparse.Namespace(wipe=False, quiet=True, force=False))
    claim()
    clashing = network.clashes(args.network)
    if clashing:
        print(
            f"The cluster's network {args.network} overlaps this machine's "
            + ", ".join(clashing)
            + ": choose another /24, e.g. make cluster NET=10.78.0.0/24"
        )
        return 2
    state.create()
    log_path = state.log("supervisor")
    offset = log_path.stat().st_size if log_path.exists() else 0
    state.write_json(state.status_path, {"phase": "launching"})
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "cluster", "supervise", *parts_arguments(args)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives this command and the terminal
        )
    print(f"Starting the cluster (supervisor pid {process.pid}; log {relative(log_path)})")
    try:
        phase = follow(state, process, log_path, offset)
    except KeyboardInterrupt:
        print("\nStopped watching; the cluster goes on starting in the background.")
        print("See make cluster-status, or stop it with make cluster-down.")
        return 130
    if phase != "serving":
        if phase == "failed":
            print("\nThe cluster did not start; what it had started was stopped.")
        else:
            print(
                f"\nThe supervisor ended while {phase} (killed?): run make cluster-down to "
                "remove what it had started."
            )
        print(f"Logs: {relative(state.logs)}/ (supervisor.log first)")
        return 1
    print()
    print_summary(state)
    return 0


def follow(state, process, log_path, offset):
    """Print the supervisor's log as it grows until the cluster serves or gives up."""
    deadline = time.monotonic() + START_TIMEOUT
    phase = "launching"
    while time.monotonic() < deadline:
        with open(log_path, "rb") as log:
            log.seek(offset)
            new = log.read()
        offset += len(new)
        sys.stdout.write(new.decode(errors="replace"))
        sys.stdout.flush()
        status = state.status()
        phase = status.get("phase") if status.get("supervisor") == process.pid else "launching"
        if phase == "serving":
            return phase
        if process.poll() is not None:
            return status.get("phase", "exited")
        time.sleep(0.2)
    return f"not serving after {START_TIMEOUT} s"


def print_summary(state):
    described = state.topology()
    status = state.status()
    entry = described["entry"]
    print(f"Newsdesk cluster serving at {entry}/ (started in {status.get('start_seconds')} s)")
    print(
        f"TLS: self-signed; clients skip verification (curl -k) or trust "
        f"{relative(state.tls_certificate)}"
    )
    print()
    print_hosts(state, described)
    print()
    print(f"Admin:   {entry}/admin/  user admin, password in {relative(state.admin_password_file)}")
    print(f"         two-step sign-in secret: in {relative(state.log('setup'))} (Secret: ...)")
    if described.get("media"):
        print(f"Media:   {entry}/media/ from the bucket on nd-media (originals: never public)")
    if described.get("push"):
        print(f"Live:    {entry}/live/<feed>/events held by Pushpin on nd-push")
    print(f"Logs:    {relative(state.logs)}/<host>.log (HAProxy's: nd-lb.log)")
    print("A host:  python3 -m cluster run nd-app-a -- newsdesk shell   (its settings and network)")
    print("Status:  make cluster-status     Tests: make cluster-test KEEP=1")
    print("Stop:    make cluster-down       (WIPE=1 also deletes var/cluster: database, secrets)")


def print_hosts(state, described):
    try:
        balancer = haproxy.server_states(state.stats_socket)
    except OSError:
        balancer = {}
    records = procs.records(state) if state.run.exists() else []
    existing = network.namespaces()
    print(f"{'host':<12} {'address':<12} {'role':<7} {'memory':>8}  {'state':<20} runs")
    for host in described["hosts"]:
        mine = [
            record
            for record in records
            if record.host == host["name"] and record.name == host["name"]
        ]
        alive = [record for record in mine if procs.running(record)]
        memory = f"{procs.memory_mb(host['name']):.0f} MB" if host["name"] in existing else "-"
        condition = f"pid {alive[0].pid}" if alive else ("dead" if mine else "-")
        if ("be_app", host["name"]) in balancer:
            condition += f", LB {balancer[('be_app', host['name'])]}"
        print(
            f"{host['name']:<12} {host['address']:<12} {host['role']:<7} {memory:>8}  "
            f"{condition:<20} {host['runs']}"
        )


# --- down, status --------------------------------------------------------------------------


def down(args):
    if os.geteuid() != 0:
        print("Stopping the cluster removes namespaces and links, which needs root.")
        return 2
    state = State()
    elsewhere = owned_elsewhere(network.namespaces(), state)
    if elsewhere and not getattr(args, "force", False):
        print(
            f"The cluster's namespaces belong to {elsewhere}, so they were left alone: stop "
            "it there, or (when nothing uses them any more) python3 -m cluster down --force"
        )
        return 1
    done = []
    record = supervisor(state)
    if record is not None and procs.running(record):
        os.kill(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + 120
        while procs.running(record) and time.monotonic() < deadline:
            time.sleep(0.1)
        if procs.running(record):
            os.kill(record.pid, signal.SIGKILL)
        done.append(f"supervisor (pid {record.pid}) stopped everything it started")
    # Whatever the supervisor did not stop: it crashed, or was killed, or never got that far.
    for leftover in procs.records(state) if state.run.exists() else []:
        if procs.stop(leftover):
            done.append(f"stopped {leftover.name} (pid {leftover.pid})")
        procs.forget(state, leftover)
    for name in network.namespaces():
        swept = procs.sweep(name)
        if swept:
            done.append(f"ended {swept} process(es) still in {name}")
    done += network.teardown()
    release()
    if state.status_path.exists() and state.status().get("phase") != "stopped":
        state.set_status(phase="stopped", stopped_at=time.time())
    if args.wipe and state.root.exists():
        shutil.rmtree(state.root)
        done.append(f"deleted {relative(state.root)}")
    if not getattr(args, "quiet", False):
        if done:
            print("Cluster stopped:\n  " + "\n  ".join(done))
        else:
            print("Nothing was running: no namespace, link or process of the cluster.")
    return 0


def status(args):
    state = State()
    current = state.status()
    described = state.topology()
    if not described or current.get("phase") in (None, "stopped"):
        print("The cluster is not running (make cluster starts it).")
        return 0
    alive = "running" if supervisor_running(state) else "NOT running"
    print(f"Phase: {current.get('phase')}; supervisor {alive}; entry {described['entry']}/")
    for step in current.get("steps", []):
        print(f"  started {step['step']} in {step['seconds']} s")
    print_hosts(state, described)
    return 0


# --- run, restart --------------------------------------------------------------------------


def run(args):
    """A command on one host: its namespace, host name and settings (hosts/<host>/env)."""
    state = State()
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("Give a command, e.g. python3 -m cluster run nd-app-a -- newsdesk shell")
        return 2
    if command[0] == "newsdesk":
        command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "newsdesk.cli", *command[1:]]
    env_file = state.hosts / args.host / "env"
    env = {"PATH": os.environ["PATH"]}
    if env_file.exists():
        env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    return subprocess.run(  # noqa: S603 - the operator's own command, on their cluster
        procs.command_in(args.host, command),
        env=env,
        cwd=ROOT,
        preexec_fn=procs.enter_host(args.host, 0),  # noqa: PLW1509 - single-threaded here
        check=False,
    ).returncode


def restart(args):
    state = State()
    record = supervisor(state)
    if record is None or not procs.running(record):
        print("The cluster is not running.")
        return 1
    folder = state.run / "requests"
    folder.mkdir(exist_ok=True)
    request = folder / f"{time.time_ns()}.json"
    request.write_text(json.dumps({"host": args.host}))
    os.kill(record.pid, signal.SIGUSR1)
    done = request.with_suffix(".done")
    deadline = time.monotonic() + 180
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if not done.exists():
        print(
            f"{args.host} was not restarted within 180 s; see {relative(state.log('supervisor'))}"
        )
        return 1
    result = json.loads(done.read_text())
    done.unlink()
    print(f"{args.host} restarted" if result["ok"] else f"Restart failed: {result['error']}")
    return 0 if result["ok"] else 1


# --- test ----------------------------------------------------------------------------------


def test(args):
    state = State()
    if not (supervisor_running(state) and state.status().get("phase") == "serving"):
        started = up(args)
        if started:
            return started
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "-p", "no:django",
               "-o", "timeout=1800", "-v", "cluster/test_cluster.py"]  # fmt: skip
    if args.keep:
        command += ["-k", "not leaves_nothing_behind"]
    # Only this run's figures go into RELIABILITY.md.
    (state.root / "results.json").unlink(missing_ok=True)
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 - our own test run
    report.write(state)
    if not args.keep:
        down(argparse.Namespace(wipe=False, force=False))
    return result.returncode


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="action", required=True)
    for name in ("up", "supervise", "test"):
        sub = commands.add_parser(name)
        sub.add_argument("--network", default=DEFAULT_NETWORK, help="a private IPv4 /24")
        sub.add_argument("--media", action=argparse.BooleanOptionalAction, default=True,
                         help="media in SeaweedFS on nd-media (default: on)")  # fmt: skip
        sub.add_argument("--push", action=argparse.BooleanOptionalAction, default=True,
                         help="live readers held by Pushpin on nd-push (default: on)")  # fmt: skip
    commands.choices["test"].add_argument(
        "--keep", action="store_true", help="leave the cluster running after the tests"
    )
    down_parser = commands.add_parser("down")
    down_parser.add_argument(
        "--wipe", action="store_true", help="also delete var/cluster (database, secrets, logs)"
    )
    down_parser.add_argument(
        "--force", action="store_true", help="also stop a cluster another checkout started"
    )
    commands.add_parser("status")
    run_parser = commands.add_parser("run", help="run a command on a host")
    run_parser.add_argument("host")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    commands.add_parser("restart", help="restart an app or worker host").add_argument("host")
    args = parser.parse_args(argv)
    if args.action == "supervise":
        from cluster import supervisor as supervising

        return supervising.main(args.network, media=args.media, push=args.push)
    return {"up": up, "down": down, "status": status, "run": run, "restart": restart,
            "test": test}[args.action](args)  # fmt: skip
