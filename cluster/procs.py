"""The cluster's processes: each started inside its host's namespace, with its own host name,
its output in a log file, and a record (pid, start time, namespace, command) in run/, so that
`down` finds every one of them even after the supervisor itself died.
"""

import contextlib
import ctypes
import os
import resource
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cluster.network import ip
from cluster.state import ROOT

CLONE_NEWUTS = 0x04000000
FILE_LIMIT = 65536
"""Open files per process: an app host holds a socket per reader, HAProxy two."""


@dataclass
class Record:
    name: str
    host: str
    pid: int
    started: int  # the kernel's start time of the process, to tell a reused pid apart
    log: str
    command: list
    stop_signal: int = signal.SIGTERM
    stop_seconds: float = 15.0  # then SIGKILL


def proc_stat(pid):
    """(state letter, start time) of a process, or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return fields[0], int(fields[19])


def running(record):
    """True while the recorded process itself runs (not a zombie, not a reused pid)."""
    found = proc_stat(record.pid)
    return found is not None and found[0] != "Z" and found[1] == record.started


def raise_file_limit():
    """As many open files as allowed, up to FILE_LIMIT (raising the hard limit needs
    CAP_SYS_RESOURCE, which root does not always have: this machine's hard limit is 20,000)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FILE_LIMIT if hard == resource.RLIM_INFINITY else min(FILE_LIMIT, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))


def file_limit():
    """The open files a process started by `spawn` may have (at least; more where root may
    raise the hard limit)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return FILE_LIMIT if hard == resource.RLIM_INFINITY else min(FILE_LIMIT, hard)


def enter_host(host, nice):
    """In the child, before exec: the host's own name (a UTS namespace of its own, as a
    separate machine would have), a higher open-file limit, and its CPU priority."""

    def prepare():
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWUTS) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUTS) failed")
        socket.sethostname(host)
        raise_file_limit()
        if nice:
            os.nice(nice)

    return prepare


def command_in(host, argv, user=None):
    prefix = ["ip", "netns", "exec", host]
    if user:
        # setpriv replaces itself with the command (unlike su or runuser, which stay as its
        # parent), so the recorded pid is the service's own.
        prefix += ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
    return prefix + list(argv)


def spawn(state, name, host, argv, env, *, user=None, nice=0, stop_signal=signal.SIGTERM,
          stop_seconds=15.0):  # fmt: skip
    """Start a long-running process on `host`; returns its Record and Popen."""
    log_path = state.log(name)
    command = command_in(host, argv, user)
    with open(log_path, "ab") as log:
        log.write(f"\n--- {time.strftime('%F %T')} starting: {' '.join(argv)}\n".encode())
        log.flush()
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=enter_host(host, nice),  # noqa: PLW1509 - the supervisor has one thread
        )
    found = proc_stat(process.pid)
    record = Record(name, host, process.pid, found[1] if found else 0, str(log_path), command)
    record.stop_signal = int(stop_signal)
    record.stop_seconds = stop_seconds
    state.write_json(state.run / f"{name}.json", asdict(record))
    return record, process


def run(state, name, host, argv, env, *, user=None, timeout=600):
    """Run a one-off command on `host` to its end, its output appended to logs/<name>.log.
    Raises RuntimeError with the log's tail when it fails."""
    log_path = state.log(name)
    with open(log_path, "ab") as log:
        log.write(f"\n--- {time.strftime('%F %T')} running: {' '.join(argv)}\n".encode())
        log.flush()
        result = subprocess.run(  # noqa: S603 - our own commands
            command_in(host, argv, user),
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            preexec_fn=enter_host(host, 0),  # noqa: PLW1509 - no threads in the caller
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(argv)}` on {host} failed (exit {result.returncode}):\n{tail(log_path)}"
        )


def tail(path, lines=15):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text[-lines:])


def records(state):
    found = []
    for path in sorted(state.run.glob("*.json")):
        data = state.read_json(path)
        if data:
            found.append(Record(**data))
    return found


def forget(state, record):
    with contextlib.suppress(FileNotFoundError):
        (state.run / f"{record.name}.json").unlink()


def stop(record, timeout=None):
    """Its own stop signal, then SIGKILL once its stop_seconds (or `timeout`) have passed.
    True if it was running."""
    return bool(stop_all([record], timeout))


def stop_all(records, timeout=None):
    """Stop several processes at once (a worker finishing its task takes seconds; the others
    need not wait for it): each gets its stop signal, then SIGKILL after its own stop_seconds
    (or `timeout`). Returns the records that were running."""
    stopping = [record for record in records if running(record)]
    began = time.monotonic()
    for record in stopping:
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, record.stop_signal)
    killed = set()
    while alive := [record for record in stopping if running(record)]:
        for record in alive:
            limit = record.stop_seconds if timeout is None else timeout
            if record.pid not in killed and time.monotonic() - began > limit:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(record.pid, signal.SIGKILL)
                killed.add(record.pid)
        time.sleep(0.05)
    return stopping


def pids_in(namespace):
    """Every live process whose network namespace is `namespace`."""
    alive = []
    for pid in map(int, ip("netns", "pids", namespace, check=False).stdout.split()):
        found = proc_stat(pid)
        if found is not None and found[0] != "Z":
            alive.append(pid)
    return alive


def sweep(namespace, grace=5):
    """End whatever still runs in `namespace` (SIGTERM, then SIGKILL): what a crash of the
    supervisor, or a half-made start, left behind. Returns how many processes there were."""
    pids = pids_in(namespace)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids_in(namespace) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids_in(namespace):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    while pids_in(namespace):
        time.sleep(0.05)
    return len(pids)


def cpu_seconds(namespace):
    """CPU time (user and system) used so far by a host's running processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids_in(namespace):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def memory_mb(namespace):
    """Proportional set size (shared pages split between their users) of a host's
    processes, in MB: PostgreSQL's shared buffers are not counted once per backend."""
    total_kb = 0
    for pid in pids_in(namespace):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
                        break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total_kb / 1024
