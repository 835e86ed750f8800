"""An editor at a browser, for the cluster tests: signs in to the admin of one app host over
plain HTTP on its own address (as the balancer would reach it, with the headers the balancer
adds), completes the two-step sign-in with a TOTP code, and uploads an image through Wagtail's
multiple uploader. Standard library only.

The app hosts run with production settings: their cookies are Secure, which a client
talking plain HTTP would not send back, so the cookies are kept here by hand.
"""

import hashlib
import hmac
import http.client
import json
import re
import struct
import time
import uuid
from urllib.parse import urlencode

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def totp(key_hex, digits=6, step=30, at=None):
    """The code an authenticator app shows now for a TOTP secret (RFC 6238, SHA-1)."""
    counter = int(time.time() if at is None else at) // step
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


class Editor:
    def __init__(self, address, port, site):
        self.address, self.port = address, port
        self.site = site  # the public name the app hosts accept (the balancer's address)
        self.cookies = {}

    def request(self, method, path, body=b"", headers=None):
        """(status, headers, body) of one request; cookies set by the answer are kept."""
        connection = http.client.HTTPConnection(self.address, self.port, timeout=30)
        sent = {
            "Host": self.site,
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{self.site}",
            "Referer": f"https://{self.site}{path}",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            payload = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie, _, _ = value.partition(";")
                    key, _, content = cookie.partition("=")
                    self.cookies[key.strip()] = content.strip()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
        finally:
            connection.close()

    def form(self, path, fields):
        """GET a form page, then POST `fields` to it with its CSRF token."""
        status, _, page = self.request("GET", path)
        if status != 200:
            raise AssertionError(f"GET {path} answered {status}")
        token = TOKEN.search(page.decode())
        if token is None:
            raise AssertionError(f"no CSRF token in the form at {path}")
        body = urlencode({"csrfmiddlewaretoken": token[1], **fields}).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def sign_in(self, username, password, totp_key):
        """Password, then the second step; raises unless the admin's dashboard opens."""
        status, headers, _ = self.form(
            "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
        )
        if status != 302:
            raise AssertionError(f"the password step answered {status}, not a redirect")
        status, headers, _ = self.form(
            "/admin/mfa/verify/", {"code": totp(totp_key), "next": "/admin/"}
        )
        if status != 302 or headers.get("location") != "/admin/":
            raise AssertionError(f"the second step answered {status} {headers.get('Location')}")
        status, _, _ = self.request("GET", "/admin/")
        if status != 200:
            raise AssertionError(f"the dashboard answered {status} after signing in")

    def upload_image(self, data, filename, content_type="image/jpeg"):
        """Wagtail's multiple uploader, as its page's script posts a file (with the page's
        CSRF token: the cookie is HttpOnly): the JSON answer."""
        path = "/admin/images/multiple/add/"
        status, _, page = self.request("GET", path)
        token = TOKEN.search(page.decode())
        if status != 200 or token is None:
            raise AssertionError(f"the uploader page answered {status} (token: {bool(token)})")
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
                f"\r\n\r\n{token[1]}\r\n"
                f'--{boundary}\r\nContent-Disposition: form-data; name="files[]"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Requested-With": "XMLHttpRequest",
        }
        status, _, payload = self.request("POST", path, body, headers)
        if status != 200:
            raise AssertionError(f"the upload answered {status}: {payload[:300]!r}")
        return json.loads(payload)
