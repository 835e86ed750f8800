import gc
import os
import signal
import subprocess
import sys
import threading

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from newsdesk.core.sites import ensure_site
from newsdesk.demo.loader import ensure_admin, login_details
from newsdesk.server import announce
from newsdesk.server.protocol import CoalescingHttpToolsProtocol

WORKER_NICENESS = 10


class Command(BaseCommand):
    help = "Serve the site with an ASGI server (uvicorn), with a background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to bind (default: %(default)s)."
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="Port to listen on (default: $PORT or 8000).",
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="Number of web server processes (default: 1)."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the background worker (run `newsdesk worker` elsewhere).",
        )
        parser.add_argument(
            "--demo-admin",
            action="store_true",
            help=(
                'Make sure the demo\'s admin account ("admin") exists and print its sign-in '
                "details last, once the site and its worker are up (`make demo`)."
            ),
        )

    def handle(self, *args, host, port, workers, no_worker, demo_admin, **options):
        self.refuse_unmigrated_database()
        ensure_site()
        if demo_admin:
            ensure_admin(self.stdout, show_login=False)
        # Pages link to hashed static file names from the manifest, so it must be current.
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None if no_worker else self.start_worker(piped=demo_admin)
        if demo_admin:
            worker_started = threading.Event()
            if worker is None:
                worker_started.set()
            else:
                announce.forward(worker.stdout, worker_started)
            announce.when_ready(host, port, worker_started, login_details)
        self.stdout.write(
            f"Newsdesk serving {settings.NEWSDESK_BASE_URL}/ on http://{host}:{port}/ "
            f"with {workers} web process(es); data in {settings.DATA_DIR}"
            + ("" if worker else "; no worker started")
        )
        # Everything imported so far lives as long as the process: freezing it keeps full
        # garbage collections short, which thousands of open live streams otherwise stall.
        gc.collect()
        gc.freeze()
        try:
            uvicorn.run(
                "newsdesk.asgi:application",
                host=host,
                port=port,
                workers=workers,
                # Client addresses come from NEWSDESK_TRUSTED_PROXIES only (accounts/clientip.py).
                proxy_headers=False,
                server_header=False,
                # An answer's head and body in one system call (newsdesk/server/protocol.py).
                http=CoalescingHttpToolsProtocol,
                # Requests are logged by newsdesk/server/accesslog.py, at a tenth of the cost.
                access_log=False,
                log_level="info",
                lifespan="off",
            )
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()

    def refuse_unmigrated_database(self):
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        connection.close()
        if pending:
            raise CommandError(
                f"The database has {len(pending)} unapplied migration(s). "
                "Run `newsdesk migrate` first."
            )

    def start_worker(self, piped=False):
        """The worker process; its output goes through this one when `piped` (so that the
        demo's sign-in details can be printed after its start-up, newsdesk/server/announce.py),
        else straight to the same terminal or log."""
        pipe = (
            {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True} if piped else {}
        )
        # A separate process, so a long narration job never competes with requests for the GIL.
        return subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "newsdesk.cli", "worker", "--verbosity", "1"],
            # Unbuffered, so its log lines appear as they happen, interleaved with the server's.
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Narration takes both cores for seconds at a time; readers' requests come first.
            preexec_fn=lambda: os.nice(WORKER_NICENESS),  # noqa: PLW1509 - no threads yet
            **pipe,
        )
