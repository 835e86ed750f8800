"""A real HTTP server on 127.0.0.1 for the source tests: each path answers as a test sets it.

No mocked client: the fetcher opens real sockets to this server, in a thread of the test
process.
"""

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


class Route:
    def __init__(self, body=b"", status=200, headers=None, etag=True, trickle=None):
        self.body = body
        self.status = status
        self.headers = headers or {}
        self.etag = etag
        self.trickle = trickle  # (chunk bytes, seconds between chunks, number of chunks)
        self.hits = 0
        self.conditional_hits = 0


class SourceServer:
    def __init__(self):
        self.routes = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                route.hits += 1
                if callable(route.body):
                    route.body(self)
                    return
                tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                if route.etag and self.headers.get("If-None-Match") == tag:
                    route.conditional_hits += 1
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.etag:
                    self.send_header("ETag", tag)
                if route.trickle:
                    chunk, pause, count = route.trickle
                    self.end_headers()
                    try:
                        for _ in range(count):
                            self.wfile.write(chunk)
                            self.wfile.flush()
                            time.sleep(pause)
                    except OSError:
                        pass
                    return
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def serve(self, path, body=b"", **kwargs):
        if isinstance(body, str) and not callable(body):
            body = body.encode()
        self.routes[path] = Route(body, **kwargs)
        return self.url(path)

    def serve_fixture(self, path, name, **kwargs):
        return self.serve(path, (FIXTURES / name).read_bytes(), **kwargs)
