"""HAProxy's configuration for the cluster's load balancer, from the topology (pure).

Readers and editors reach the site only through here: TLS ends on nd-lb (a self-signed
certificate the cluster makes), requests go to the app hosts that pass their health check, and
a request that could not reach a host is sent to another. Media comes from the bucket on
SeaweedFS and live streams go to Pushpin when the topology has them (the default).
"""

import csv
import io
import socket

from cluster.topology import INTERNAL_ORIGIN_PORT, MEDIA_BUCKET

# Original images are never public (newsdesk/images/uploads.py, PRIVATE_MEDIA): the app hosts
# answer 404 for them, and once media comes from the bucket the balancer must do the same.
PRIVATE_MEDIA_PREFIXES = ("/media/original_images/", "/media/wagtail_uploads/")

EVENTS_PATH = r"^/live/[^/]+/events$"


def render(topology, *, pem, stats_socket):
    lb = topology.address("nd-lb")
    parts = [
        _global_and_defaults(stats_socket),
        _frontend(topology, lb, pem),
        _app_backends(topology, lb),
    ]
    if topology.push:
        parts.append(_push(topology, lb))
    if topology.media:
        parts.append(_media(topology))
    return "\n".join(parts)


def _global_and_defaults(stats_socket):
    return f"""\
global
    log stdout format raw local0 info
    # Each connection takes two file descriptors (reader and app host); 9,000 fit in the
    # 20,000 a process may open on machines where even root cannot raise that limit.
    maxconn 9000
    stats socket {stats_socket} mode 600 level admin
    ssl-default-bind-options ssl-min-ver TLSv1.2

defaults
    mode http
    log global
    option httplog
    option dontlognull
    # The client's address for the app hosts, which believe it from nd-lb only
    # (NEWSDESK_TRUSTED_PROXIES).
    option forwardfor
    # Hosts sit on one bridge: a connection not made in a second goes to another host.
    timeout connect 1s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 5s
    # Inactivity limits, not lifetimes: an event stream sends a heartbeat every 15 s, so it
    # stays open for hours, while a hung app host or a vanished reader is cut after 65 s
    # (about four missed heartbeats) and the reader reconnects to a healthy host.
    timeout client 65s
    timeout server 30s
    # A request whose connection failed, or whose host closed without answering (killed
    # mid-request), is tried again on another host. POSTs only when nothing reached the
    # host (see disable-l7-retry below): a publish must never run twice.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    # Health: /healthz every 0.5 s; two failures take a host out, two successes bring it back.
    # A crashed host refuses the connection at once, so it is out within about a second.
    # A busy one may answer slowly: /healthz waits behind the requests in the app's queue,
    # and with the default (the check's whole time bounded by `inter`) a crowd of readers
    # reconnecting at once made both hosts miss 0.5 s and took the whole site down.
    timeout check 2s
    default-server inter 500ms fastinter 250ms downinter 1s fall 2 rise 2
"""


def _frontend(topology, lb, pem):
    lines = [
        "frontend fe_entry",
        f"    bind {lb}:443 ssl crt {pem} alpn h2,http/1.1",
        f"    bind {lb}:80",
        "    http-request redirect scheme https code 301 unless { ssl_fc }",
        "    # Overwritten, never passed on: Django trusts it (SECURE_PROXY_SSL_HEADER).",
        "    http-request set-header X-Forwarded-Proto https",
        "    http-request del-header X-Forwarded-For",
        "    http-request disable-l7-retry unless METH_GET",
        f"    acl events path_reg {EVENTS_PATH}",
    ]
    if topology.media:
        private = " ".join(PRIVATE_MEDIA_PREFIXES)
        lines += [
            f"    http-request deny deny_status 404 if {{ path_beg -i {private} }}",
            "    use_backend be_media if { path_beg /media/ }",
        ]
    if topology.push:
        # While Pushpin is down (its check fails) streams go to the app hosts, which serve
        # them in-process: requests without Pushpin's Grip-Sig get an ordinary stream.
        lines.append("    use_backend be_push if events { nbsrv(be_push) gt 0 }")
    lines += ["    use_backend be_events if events", "    default_backend be_app", ""]
    return "\n".join(lines)


def _app_backends(topology, lb):
    apps = topology.with_role("app")
    checked = [
        f"    server {host.name} {topology.address(host.name)}:{host.port} check" for host in apps
    ]
    tracked = [
        f"    server {host.name} {topology.address(host.name)}:{host.port} track be_app/{host.name}"
        for host in apps
    ]
    return "\n".join(
        [
            "backend be_app",
            "    balance roundrobin",
            "    option httpchk",
            f"    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host {lb}",
            "    http-check expect status 200",
            *checked,
            "",
            "# Event streams: the same hosts and health, spread by open connections.",
            "backend be_events",
            "    balance leastconn",
            "    timeout server 65s",
            *tracked,
            "",
        ]
    )


def _push(topology, lb):
    """Streams go to Pushpin; Pushpin's own requests to the app hosts come back through an
    internal frontend, so they fail over between app hosts as readers' do."""
    push = topology.host("nd-push")
    return f"""\
backend be_push
    timeout server 65s
    server {push.name} {topology.address(push.name)}:{push.port} check

# Pushpin's own requests (a reader's first request, its recoveries) to the app hosts. Only
# Pushpin may use it: it trusts the X-Forwarded-Proto that Pushpin passes on from fe_entry.
frontend fe_origin
    bind {lb}:{INTERNAL_ORIGIN_PORT}
    tcp-request connection reject unless {{ src {topology.address(push.name)} }}
    http-request set-header X-Forwarded-Proto https
    acl events path_reg {EVENTS_PATH}
    use_backend be_events if events
    default_backend be_app
"""


def _media(topology):
    """/media/<key> is the bucket's object <key> on SeaweedFS's S3 port (anonymous reads
    of the public bucket only: devservers/seaweedfs.py)."""
    media = topology.host("nd-media")
    return f"""\
backend be_media
    # The reader's cookies (a signed-in editor's session) are nothing the bucket needs.
    http-request del-header Cookie
    http-request del-header Authorization
    http-request set-path /{MEDIA_BUCKET}%[path,regsub(^/media/,/)]
    server {media.name} {topology.address(media.name)}:{media.port} check
"""


def command(stats_socket, line, timeout=2):
    """One command on HAProxy's stats socket (level admin); returns its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(str(stats_socket))
        connection.sendall(line.encode() + b"\n")
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks).decode().strip()
    if answer:
        raise OSError(f"HAProxy refused `{line}`: {answer}")
    return answer


def stats(stats_socket, timeout=2):
    """HAProxy's `show stat` through its stats socket: one dict per frontend, backend and
    server (pxname, svname, status, scur for current sessions, ...)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(str(stats_socket))
        connection.sendall(b"show stat\n")
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    text = b"".join(chunks).decode().lstrip("# ")
    return list(csv.DictReader(io.StringIO(text)))


def server_states(stats_socket, timeout=2):
    """{(backend, server): status}: "UP", "DOWN", "UP 1/2" (going down), "DOWN 1/2"..."""
    return {
        (row["pxname"], row["svname"]): row["status"]
        for row in stats(stats_socket, timeout)
        if row["svname"] not in ("FRONTEND", "BACKEND")
    }
