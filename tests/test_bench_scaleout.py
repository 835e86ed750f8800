"""The scale-out benchmark's harness (benchmarks/scaleout.py, benchmarks/sse_readers.c): that the
C readers' output is read right, the latency figures come from it correctly, and the readers
themselves decode chunked event streams, count duplicates and resume with Last-Event-ID.
Nothing here asserts how fast anything is; the 30,000-reader run is `make bench ONLY=scaleout`."""

import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks import scaleout
from devservers import pushpin

OUTPUT = """readers 2
connected 2
connect_errors 1
connect_seconds 0.250
dropped 1
reconnected 1
unexpected 0
lost 1
duplicated 2
ended_closed 1
ended_read_error 0
ended_last_chunk 0
ended_bad_chunk 0
update 41 1000000100000 1000000200000
update 42 1000000700000
"""


def test_reader_output_is_parsed():
    out = scaleout.parse_output(OUTPUT)
    assert (out.readers, out.connected, out.connect_errors) == (2, 2, 1)
    assert out.connect_seconds == pytest.approx(0.25)
    assert (out.dropped, out.reconnected, out.lost, out.duplicated) == (1, 1, 1, 2)
    assert out.ended == {"closed": 1, "read_error": 0, "last_chunk": 0, "bad_chunk": 0}
    assert out.arrivals == {41: [1000000.1, 1000000.2], 42: [1000000.7]}


def test_output_that_is_not_the_readers_is_refused():
    with pytest.raises(ValueError, match="not sse_readers output"):
        scaleout.parse_output("Segmentation fault\n")


def test_latencies_are_from_each_commit_over_every_process():
    first, second = scaleout.parse_output(OUTPUT), scaleout.parse_output("update 41 1000000050000")
    commits = {41: 1000000.0, 42: 1000000.5, 43: 1000001.0}
    found = scaleout.latencies_ms(commits, [first, second])
    assert found == pytest.approx([50, 100, 200, 200])
    assert scaleout.percentile(found, 0.5) == pytest.approx(100)
    assert scaleout.percentile(found, 0.99) == pytest.approx(200)
    assert scaleout.percentile([], 0.5) != scaleout.percentile([], 0.5)  # NaN


def test_readers_are_shared_out_evenly():
    assert scaleout.split(30_000, 2) == [15_000, 15_000]
    assert scaleout.split(10, 3) == [4, 3, 3]
    assert sum(scaleout.split(29_999, 2)) == 29_999


def test_every_default_row_names_a_known_variant():
    assert {variant for variant, _ in scaleout.DEFAULT_ROWS} <= set(scaleout.VARIANTS)
    assert scaleout.parse_rows("tuned:30000,inprocess:5") == [("tuned", 30000), ("inprocess", 5)]


class EventStream(BaseHTTPRequestHandler):
    """First request: ids 11 and 12 (the first split across chunks, the second with CRLF
    lines), 12 once more, then the last chunk. Later requests: what follows Last-Event-ID."""

    protocol_version = "HTTP/1.1"
    requests = []
    release = threading.Event()

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.requests.append(self.headers.get("Last-Event-ID"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if len(self.requests) == 1:
            pieces = ["retry: 2000\n\n", "id: 1", "1\ndata: a\n\n", "id: 12\r\ndata: b\r\n\r\n"]
            pieces.append("id: 12\ndata: b again\n\n")
        else:
            pieces = ["retry: 2000\n\n: a comment\n\n", "id: 13\ndata: c\n\n"]
        for piece in pieces:
            data = piece.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        if len(self.requests) == 1:
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.release.wait(30)

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not (shutil.which("gcc") or shutil.which("cc")), reason="no C compiler")
def test_c_readers_count_duplicates_and_resume_with_last_event_id(tmp_path):
    binary = scaleout.compile_reader(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), EventStream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    output = tmp_path / "out.txt"
    reader = subprocess.Popen(  # noqa: S603 - the reader just compiled
        [str(binary), "127.0.0.1", str(server.server_port), "/live/x/events?after=10", "1"]
        + ["11", "3", "10", str(output)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in reader.stdout:
            lines.append(line.split()[0])
            if line.startswith("complete"):
                break
        reader.stdin.write("stop\n")
        reader.stdin.flush()
        assert reader.wait(timeout=30) == 0
    finally:
        EventStream.release.set()
        if reader.poll() is None:
            reader.kill()
            reader.wait()
        server.shutdown()
        server.server_close()
    assert [word for word in lines if word != "delivered"] == ["ready", "complete"]
    out = scaleout.parse_output(output.read_text())
    assert (out.connected, out.lost, out.duplicated) == (1, 0, 1)
    assert (out.dropped, out.reconnected, out.ended["last_chunk"]) == (1, 1, 1)
    assert sorted(out.arrivals) == [11, 12, 13]
    assert all(len(times) == 1 for times in out.arrivals.values())
    assert EventStream.requests == [None, "12"]


@pytest.mark.skipif(bool(pushpin.missing_programs()), reason="Pushpin is not installed")
def test_pushpin_config_takes_the_benchmarks_settings(tmp_path):
    settings = scaleout.pushpin_settings("tuned")
    tuned = pushpin.Pushpin("127.0.0.1:8000", workdir=tmp_path, **settings)
    tuned.write_config()
    conf = (tmp_path / "pushpin.conf").read_text()
    assert "\nclient_buffer_size=4096\n" in conf
    assert "\nlog_level=1\n" in conf
    extra = pushpin.Pushpin(
        "127.0.0.1:8000", workdir=tmp_path / "b", extra_options=[("handler", "stats_spec", "")]
    )
    extra.write_config()
    handler = (tmp_path / "b" / "pushpin.conf").read_text().split("[handler]", 1)[1]
    assert "\nstats_spec=\n" in handler
