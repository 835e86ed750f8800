"""The HTTP benchmark harness itself (benchmarks/http_load.py, benchmarks/loadgen.py): that it
reads wrk's output right, that the Python fallback counts what it should, and that a tiny run
produces a section with every target row. Nothing here asserts how fast anything is."""

import dataclasses
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks import http_load, loadgen

WRK_TEXT = """Running 10s test @ http://127.0.0.1:40123/article.html
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   612.20us    1.10ms  31.20ms   93.10%
    Req/Sec    28.10k     3.02k   35.90k    71.00%
  Latency Distribution
     50%  402.00us
     75%  610.00us
     90%    1.02ms
     99%    5.81ms
  561234 requests in 10.00s, 6.49GB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 17
Requests/sec:  56123.40
Transfer/sec:    664.10MB
"""


def test_wrk_text_output_is_parsed():
    result = loadgen.parse_wrk(WRK_TEXT)
    assert result.requests == 561234
    assert result.seconds == pytest.approx(10.0)
    assert result.p50_ms == pytest.approx(0.402)
    assert result.p99_ms == pytest.approx(5.81)
    assert result.max_ms == pytest.approx(31.2)
    assert (result.errors, result.status_errors) == (5, 17)
    # Throughput counts successful responses only.
    assert result.per_second == pytest.approx((561234 - 17) / 10.0)


def test_wrk_json_line_from_done_is_preferred():
    output = (
        WRK_TEXT + 'WRKJSON {"requests": 1000, "duration_us": 2000000, "bytes": 5, '
        '"p50_us": 1500.0, "p99_us": 9000.0, "max_us": 12000.0, "errors": 1, '
        '"status_errors": 2, "hits": 990, "wraps": 0, "walked": 998}\n'
    )
    result = loadgen.parse_wrk(output)
    assert (result.requests, result.hits, result.walked) == (1000, 990, 998)
    assert result.seconds == 2.0
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (1.5, 9.0, 12.0)
    assert result.per_second == pytest.approx(499.0)


def test_cache_state_reads_any_x_cache_header():
    assert http_load.cache_state({"x-cache": "HIT"}) == "hit"
    assert http_load.cache_state({"x-newsdesk-cache": "hit, fresh"}) == "hit"
    assert http_load.cache_state({"x-cache": "miss"}).startswith("miss")
    assert "no X-Cache" in http_load.cache_state({"cache-control": "public"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - the http.server API
        body = self.path.encode()
        self.send_response(200 if self.path != "/missing" else 404)
        if self.path.startswith("/hit"):
            self.send_header("X-Cache", "HIT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def little_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("use_wrk", [False, True])
def test_load_generators_count_hits_errors_and_paths(little_server, use_wrk):
    if use_wrk and not loadgen.wrk_path():
        pytest.skip("wrk is not installed")
    paths = ["/hit/1", "/plain/2", "/missing", "/hit/4"]
    result = loadgen.load(little_server, 2, 1, paths=paths, use_wrk=use_wrk)
    assert result.requests > 0
    assert result.tool == ("wrk" if use_wrk else "python")
    assert 0 < result.hits < result.requests
    assert 0 < result.status_errors < result.requests
    assert result.wraps > 0  # four paths cannot last a second
    plain = loadgen.load(little_server + "/plain", 1, 1, use_wrk=use_wrk)
    assert plain.requests > 0 and plain.hits == 0 and plain.status_errors == 0


@pytest.mark.timeout(900)
def test_tiny_run_writes_a_section_with_every_target(tmp_path, monkeypatch):
    """Real servers, nginx when installed, 1-second runs on a 40-article data set."""
    monkeypatch.setenv("NEWSDESK_BENCH_CACHE", str(tmp_path / "cache"))
    settings = dataclasses.replace(
        http_load.TINY, curve=(1, 2), publishes=1, memory_requests=100, servers=(("uvicorn", 1),)
    )
    section, summary = http_load.run(settings, plot_to=tmp_path / "curve.png")
    assert section.startswith("## ")
    for _, label in http_load.TARGETS:
        assert f"| {label} |" in section
    assert "server CPU ms/request" in section
    assert "Database queries per render" in section
    assert "| uvicorn, 1 worker(s) |" in section
    for target in ("cached article", "uncached article", "home with", "queries per", "memory"):
        assert target in section
    assert "published article served" in section
    if shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin"):
        # nginx's own cache in front answers the warm article once it has it.
        assert "| nginx HIT |" in section
    assert (tmp_path / "curve.png").stat().st_size > 0
    assert any("req/s" in line for line in summary)
