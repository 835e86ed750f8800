"""The cluster's state directory, var/cluster/ (outside git):

cluster.json      the topology it runs (addresses, roles, the entry)
status.json       what the supervisor is doing: starting, serving, stopping, stopped, failed
secrets/          0700: generated once, kept across restarts (secret key, passwords, TLS)
run/<name>.json   every process: pid, start time, namespace, command, log file
logs/<name>.log   every process's output (stdout and stderr)
hosts/<host>/     each host's own disk: NEWSDESK_DATA_DIR, PostgreSQL's data, Redis's dir
setup/            the data directory `migrate` and `demo` ran with (the admin's password)
"""

import json
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / "var" / "cluster"
CLAIM = Path("/run/lock/newsdesk-cluster.json")
"""Machine-wide: which checkout's cluster owns the namespaces and the bridge, which are
machine-wide too (two checkouts on one machine must not tear down each other's cluster)."""


class State:
    def __init__(self, root=STATE):
        self.root = Path(root)
        self.run = self.root / "run"
        self.logs = self.root / "logs"
        self.hosts = self.root / "hosts"
        self.secrets_dir = self.root / "secrets"
        self.setup = self.root / "setup"

    def create(self):
        for folder in (self.root, self.run, self.logs, self.hosts, self.setup):
            folder.mkdir(parents=True, exist_ok=True)
            # PostgreSQL runs as user postgres and must reach its directory under hosts/.
            folder.chmod(0o755)
        self.secrets_dir.mkdir(mode=0o700, exist_ok=True)

    def host_dir(self, name):
        folder = self.hosts / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def log(self, name):
        return self.logs / f"{name}.log"

    # --- JSON files ---------------------------------------------------------------------

    def write_json(self, path, data, mode=0o644):
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        os.replace(temporary, path)  # readers never see half a file

    def read_json(self, path, default=None):
        try:
            return json.loads(Path(path).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return default

    @property
    def status_path(self):
        return self.root / "status.json"

    def status(self):
        return self.read_json(self.status_path, {"phase": "stopped"})

    def set_status(self, **changes):
        self.write_json(self.status_path, {**self.status(), **changes})

    def topology(self):
        return self.read_json(self.root / "cluster.json")

    # --- Secrets ------------------------------------------------------------------------

    def secrets(self):
        """Generated on the first start and kept: the app hosts share the secret key, and the
        database keeps its passwords across restarts."""
        path = self.secrets_dir / "secrets.json"
        known = self.read_json(path, {})
        wanted = {
            "secret_key": 50,
            "db_password": 24,
            "redis_password": 24,
            "media_key": 16,
            "media_secret": 32,
        }
        missing = {
            name: secrets.token_urlsafe(n) for name, n in wanted.items() if name not in known
        }
        if missing:
            self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            known = {**known, **missing}
            self.write_json(path, known, mode=0o600)
        return known

    @property
    def tls_pem(self):
        return self.secrets_dir / "entry.pem"

    @property
    def tls_certificate(self):
        return self.secrets_dir / "entry.crt"

    @property
    def admin_password_file(self):
        return self.setup / "data" / "demo-admin-password"

    @property
    def stats_socket(self):
        return self.run / "haproxy.sock"


# --- Which checkout owns the cluster's network ----------------------------------------------


def claim(path=CLAIM, root=ROOT):
    """Record that this checkout's cluster owns the namespaces from now on (also as LOCK in
    its state directory, where someone looking at that checkout sees it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"root": str(root), "pid": os.getpid()})
    path.write_text(text)
    (Path(root) / "var" / "cluster").mkdir(parents=True, exist_ok=True)
    (Path(root) / "var" / "cluster" / "LOCK").write_text(text + "\n")


def claimant(path=CLAIM):
    """The checkout whose cluster last claimed the network, or None."""
    try:
        return json.loads(path.read_text()).get("root")
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def release(path=CLAIM, root=ROOT):
    (Path(root) / "var" / "cluster" / "LOCK").unlink(missing_ok=True)
    if claimant(path) == str(root):
        path.unlink(missing_ok=True)


def owned_elsewhere(namespaces, state, path=CLAIM, root=ROOT):
    """Why the cluster namespaces that exist are not this checkout's to stop (None when they
    are, or when there are none)."""
    if not namespaces:
        return None
    owner = claimant(path)
    if owner == str(root):
        return None
    if owner is not None:
        return f"the cluster of the checkout {owner}"
    if state.run.exists() and any(state.run.glob("*.json")):
        return None  # an older start of ours, from before claims were written
    return "a cluster this checkout did not start (another checkout's, from before claims)"
