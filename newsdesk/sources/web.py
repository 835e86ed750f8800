"""One HTTP(S) GET of a source, guarded. Pure: no Django.

- The host is resolved first and every address checked: private, loopback, link-local and
  other non-public addresses are refused unless the source allows them; the connection then
  goes to the address that was checked (so a DNS answer that changes between the check and
  the connection cannot slip through), with the name kept for the Host header and TLS.
- Redirects are followed by hand, each target checked the same way, at most MAX_REDIRECTS.
- The answer is read in chunks and refused as soon as it passes the size limit (after
  gzip is undone, so a small compressed bomb is refused too), and the whole exchange has a
  deadline besides the socket timeout, so a server that trickles bytes cannot hold a fetcher.
- Conditional: ETag and Last-Modified from the last answer are sent back; 304 means nothing
  new.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = "Newsdesk source fetcher (+https://github.com/newsdesk)"


class FetchError(Exception):
    """The fetch failed; the message is for editors ("The server answered 404 Not Found")."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    timeout: float = 20.0
    """Seconds for the whole exchange (each socket operation gets the same at most)."""
    max_bytes: int = 10 * 1024 * 1024
    allow_private: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    etag: str
    last_modified: str
    url: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(url: str, limits: Limits, etag: str = "", last_modified: str = "") -> Answer:
    deadline = time.monotonic() + limits.timeout
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", "Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _ in range(MAX_REDIRECTS + 1):
        status, response_headers, body = _get(url, headers, limits, deadline)
        if status in (301, 302, 303, 307, 308):
            location = response_headers.get("location", "")
            if not location:
                raise FetchError(f"The server answered {status} (a redirect) without a Location.")
            url = urljoin(url, location)
            continue
        if status == 304:
            return Answer(304, b"", etag, last_modified, url)
        if status != 200:
            reason = http.client.responses.get(status, "")
            raise FetchError(
                f"The server answered {status} {reason}.".replace(" .", "."),
                retry_after=_retry_after(response_headers.get("retry-after", "")),
            )
        return Answer(
            200,
            body,
            response_headers.get("etag", ""),
            response_headers.get("last-modified", ""),
            url,
        )
    raise FetchError(f"Too many redirects (more than {MAX_REDIRECTS}): a redirect loop?")


def checked_addresses(host: str, port: int, allow_private: bool) -> list[str]:
    """The host's addresses that may be reached; FetchError when there are none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchError(f"The name {host} cannot be resolved ({error.strerror}).") from None
    allowed, refused = [], []
    for info in infos:
        address = str(info[4][0])
        if allow_private or is_public(address):
            allowed.append(address)
        else:
            refused.append(address)
    if not allowed:
        raise FetchError(
            f"Refused: {host} is a private or local address ({', '.join(sorted(set(refused)))}). "
            "Tick 'allow private addresses' on the source if it is meant to be inside the network."
        )
    return list(dict.fromkeys(allowed))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _get(
    url: str, headers: dict[str, str], limits: Limits, deadline: float
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"Only http and https addresses can be fetched, not {url[:100]!r}.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = checked_addresses(parts.hostname, port, limits.allow_private)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    last_error: OSError | None = None
    for address in addresses:
        connection = _connection(parts.scheme, parts.hostname, address, port, _left(deadline))
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            head = {name.lower(): value for name, value in response.getheaders()}
            if response.status != 200:
                return response.status, head, b""
            return 200, head, _read(response, head, limits, deadline)
        except TimeoutError:
            raise FetchError(
                f"The server took too long (more than {limits.timeout:g} s) to answer."
            ) from None
        except ssl.SSLError as error:
            raise FetchError(f"The secure connection failed: {error.reason or error}.") from None
        except (ConnectionRefusedError, ConnectionResetError) as error:
            last_error = error
        except http.client.HTTPException as error:
            raise FetchError(f"The server's answer is not valid HTTP ({error!r}).") from None
        finally:
            connection.close()
    raise FetchError(f"Cannot connect to {parts.hostname}: {last_error}.")


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _connection(
    scheme: str, host: str, address: str, port: int, timeout: float
) -> http.client.HTTPConnection:
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    return kind(host, address, port, timeout)


def _read(
    response: http.client.HTTPResponse, head: dict[str, str], limits: Limits, deadline: float
) -> bytes:
    declared = head.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(_too_big(limits, int(declared)))
    gzipped = head.get("content-encoding", "").lower() == "gzip"
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
        if not chunk:
            break
        if inflater is not None:
            try:
                chunk = inflater.decompress(chunk, limits.max_bytes + 1 - size)
            except zlib.error:
                raise FetchError("The answer says it is gzip-compressed but is not.") from None
        size += len(chunk)
        if size > limits.max_bytes:
            raise FetchError(_too_big(limits))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(limits: Limits, declared: int | None = None) -> str:
    limit = f"{limits.max_bytes / 1024 / 1024:g} MB"
    if declared is not None:
        return f"Refused: the answer is {declared / 1024 / 1024:.1f} MB, over the limit of {limit}."
    return f"Refused: the answer is larger than the limit of {limit}; reading stopped there."


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("The server took too long to answer.")
    return left


def _retry_after(value: str) -> float | None:
    return float(value) if value.strip().isdigit() else None
