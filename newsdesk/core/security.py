"""The allowed-hosts check, the HTTPS redirect and the security headers, for every pipeline.

A request reaches one of three: Django's middleware (`SecurityMiddleware` below, in place of
Django's own), the page cache in front of Django (newsdesk/pagecache/app.py), or the event-
stream app, also outside Django (newsdesk/live/stream_app.py). Each asks these functions, so a
new header or a new rule is written once (tests/test_security_pipelines.py holds them to it).
They follow Django's own rules (ALLOWED_HOSTS, SECURE_* settings) and use its host check.
"""

import re

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponsePermanentRedirect
from django.http.request import split_domain_port, validate_host
from django.utils.deprecation import MiddlewareMixin
from django.utils.encoding import escape_uri_path, iri_to_uri

_hosts: dict[str, bool] = {}
_headers: dict[bool, list[tuple[bytes, bytes]]] = {}
_proxy: list = []
"""SECURE_PROXY_SSL_HEADER, read once: a cached page's hit costs a few microseconds, and each
`settings.X` about one."""
KNOWN_HOSTS_LIMIT = 64
"""Hosts whose answer is remembered: a flood of made-up Host headers must not grow it."""


@receiver(setting_changed)
def _forget(**kwargs):
    _hosts.clear()
    _headers.clear()
    _proxy.clear()


def host_allowed(host):
    """Whether a Host header value (str) passes ALLOWED_HOSTS, as HttpRequest.get_host checks."""
    known = _hosts.get(host)
    if known is not None:
        return known
    domain, _ = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    known = bool(domain) and validate_host(domain, allowed)
    if len(_hosts) < KNOWN_HOSTS_LIMIT:
        _hosts[host] = known
    return known


def proxy_header_name():
    """The ASGI (lower-case, bytes) name of SECURE_PROXY_SSL_HEADER, or None."""
    header = settings.SECURE_PROXY_SSL_HEADER
    return header[0].removeprefix("HTTP_").lower().replace("_", "-").encode() if header else None


def is_secure(scheme, forwarded_proto):
    """HttpRequest.is_secure(): the proxy's header (bytes or None) when configured, else the
    scheme."""
    if forwarded_proto is not None:
        if not _proxy:
            _proxy.append(settings.SECURE_PROXY_SSL_HEADER)
        if _proxy[0]:
            return forwarded_proto.decode("latin-1").split(",", 1)[0].strip() == _proxy[0][1]
    return scheme == "https"


def needs_redirect(path, secure):
    """Whether a request must be sent to HTTPS instead (SECURE_SSL_REDIRECT, less the exempt
    paths), like Django's SecurityMiddleware."""
    if secure or not settings.SECURE_SSL_REDIRECT:
        return False
    return not any(
        re.search(exempt, path.lstrip("/")) for exempt in settings.SECURE_REDIRECT_EXEMPT
    )


def https_location(path, query_string, host):
    """The HTTPS address of the request (HttpRequest.get_full_path on SECURE_SSL_HOST or host)."""
    location = f"https://{settings.SECURE_SSL_HOST or host}{escape_uri_path(path)}"
    return f"{location}?{iri_to_uri(query_string)}" if query_string else location


def security_headers(secure):
    """The headers every response carries: [(name, value)], lower-case bytes. HSTS over HTTPS
    only (a browser ignores it over HTTP, and Django sends it so)."""
    headers = _headers.get(secure)
    if headers is None:
        headers = _headers[secure] = _build(secure)
    return headers


def _build(secure):
    headers = []
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        if not isinstance(policy, str):
            policy = ",".join(policy)
        headers.append((b"referrer-policy", policy.encode()))
    if settings.X_FRAME_OPTIONS:
        headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(
            (b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode())
        )
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append((b"strict-transport-security", value.encode()))
    return headers


HEADER_NAMES = frozenset(
    {
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"cross-origin-opener-policy",
        b"strict-transport-security",
    }
)
"""Every name `security_headers` may send: a stored page's own copies are dropped for these."""


class SecurityMiddleware(MiddlewareMixin):
    """Django's path: the same redirect and headers, in place of Django's SecurityMiddleware
    and XFrameOptionsMiddleware (a view's own X-Frame-Options, such as Wagtail's previews'
    SAMEORIGIN, and @xframe_options_exempt are respected as there). The Host header is checked
    by `request.get_host()`, Django's own, which refuses with 400."""

    def process_request(self, request):
        if needs_redirect(request.path, request.is_secure()):
            query_string = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                https_location(request.path, query_string, request.get_host())
            )
        return None

    def process_response(self, request, response):
        exempt = getattr(response, "xframe_options_exempt", False)
        for name, value in security_headers(request.is_secure()):
            header = name.decode()
            if header not in response and not (exempt and name == b"x-frame-options"):
                response[header] = value.decode()  # a view's own value wins, as with Django's
        return response


MIDDLEWARE = "newsdesk.core.security.SecurityMiddleware"


@checks.register(checks.Tags.security, deploy=True)
def check_deploy(app_configs, **kwargs):
    """`check --deploy`: Django's W004, W006 and W008 look only when its own SecurityMiddleware
    is installed (settings.py silences W001 and W002, which ask for Django's two): the same
    three, for ours."""
    problems = []
    if MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(checks.Warning(f"{MIDDLEWARE} is not in MIDDLEWARE.", id="newsdesk.W001"))
    if not settings.SECURE_HSTS_SECONDS:
        problems.append(checks.Warning("SECURE_HSTS_SECONDS is 0: no HSTS.", id="newsdesk.W004"))
    if not settings.SECURE_CONTENT_TYPE_NOSNIFF:
        problems.append(checks.Warning("SECURE_CONTENT_TYPE_NOSNIFF is off.", id="newsdesk.W006"))
    if not settings.SECURE_SSL_REDIRECT:
        problems.append(checks.Warning("SECURE_SSL_REDIRECT is off.", id="newsdesk.W008"))
    return problems
