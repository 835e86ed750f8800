"""The cluster's hosts, their addresses and what each runs: plain data, no side effects.

Every host is a network namespace on this machine, joined to one bridge. Media (SeaweedFS) and
live delivery (Pushpin) are on by default and can be left out (`media` / `push` off: media on
each host's disk, streams held by the app hosts); the load balancer's routes (haproxy.py) and
the app hosts' settings (app_environment) follow from that.
"""

import ipaddress
from dataclasses import dataclass, field

BRIDGE = "nd-br0"
PREFIX = "nd-"
"""Every namespace and link the cluster makes starts with this: `down` removes what matches."""
DEFAULT_NETWORK = "10.77.0.0/24"
APP_PORT = 8000
INTERNAL_ORIGIN_PORT = 8080
"""HAProxy's plain-HTTP frontend for Pushpin's requests to the app hosts."""
MEDIA_BUCKET = "newsdesk"


@dataclass(frozen=True)
class Host:
    name: str  # the namespace, also the host name inside it
    number: int  # last octet of its address
    role: str
    runs: str  # one line for the summary
    port: int | None = None  # the service port other hosts use

    def veth(self):
        """Name of the link's end on the bridge (at most 15 characters, as Linux requires)."""
        return ("ve-" + self.name)[:15]


HOSTS = (
    Host("nd-lb", 10, "lb", "HAProxy 2.6: TLS, health checks, the only entry", 443),
    Host("nd-app-a", 11, "app", "newsdesk serve --no-worker", APP_PORT),
    Host("nd-app-b", 12, "app", "newsdesk serve --no-worker", APP_PORT),
    Host("nd-worker-a", 13, "worker", "newsdesk worker (tasks, scheduled publishing)"),
    Host("nd-worker-b", 14, "worker", "newsdesk worker (tasks, scheduled publishing)"),
    Host("nd-db", 20, "db", "PostgreSQL 15, its own cluster", 5432),
    Host("nd-redis", 21, "redis", "redis-server: cache, wake-ups, invalidations", 6379),
    Host("nd-media", 30, "media", "SeaweedFS: S3 buckets for images and audio", 8333),
    Host("nd-push", 31, "push", "Pushpin and zurl: hold live readers (GRIP)", 7999),
)
PUSH_CONTROL_PORT = 5561
"""Pushpin's control endpoint (publish), reached by the app hosts only."""


@dataclass(frozen=True)
class Topology:
    network: str = DEFAULT_NETWORK
    media: bool = False
    push: bool = False
    hosts: tuple = field(default=HOSTS)

    def __post_init__(self):
        net = ipaddress.ip_network(self.network)
        if net.version != 4 or net.prefixlen != 24:
            raise ValueError(f"the cluster needs an IPv4 /24 network, not {self.network}")

    @property
    def gateway(self):
        """The bridge's own address: how this machine (and the tests) reach the hosts."""
        return self.address_of(1)

    def address_of(self, number):
        return str(ipaddress.ip_network(self.network)[number])

    def address(self, name):
        return self.address_of(self.host(name).number)

    def host(self, name):
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(f"no host {name} in the topology")

    def enabled(self):
        """The hosts this cluster runs, in the order they start."""
        off = {"media"} if not self.media else set()
        off |= {"push"} if not self.push else set()
        order = ["db", "redis", "media", "app", "worker", "push", "lb"]
        running = [host for host in self.hosts if host.role not in off]
        return sorted(running, key=lambda host: order.index(host.role))

    def with_role(self, role):
        return [host for host in self.enabled() if host.role == role]

    @property
    def entry(self):
        """The readers' address: the load balancer, over HTTPS."""
        return f"https://{self.address('nd-lb')}"

    def trusted_proxies(self):
        """Who may tell an app host the client's address (X-Forwarded-For)."""
        proxies = [self.address("nd-lb")]
        if self.push:
            proxies.append(self.address("nd-push"))
        return proxies

    def database_url(self, password):
        return f"postgres://newsdesk:{password}@{self.address('nd-db')}:5432/newsdesk"

    def redis_url(self, password):
        return f"redis://:{password}@{self.address('nd-redis')}:6379/0"

    def media_url(self, key, secret):
        """NEWSDESK_MEDIA_STORAGE: the S3 endpoint on nd-media, our bucket."""
        media = self.host("nd-media")
        return f"s3+http://{key}:{secret}@{self.address('nd-media')}:{media.port}/{MEDIA_BUCKET}"

    def app_environment(self, host, secrets, data_dir):
        """The settings of an app or worker host (docs/configuration.md names each)."""
        env = {
            "NEWSDESK_DATA_DIR": str(data_dir),
            "DATABASE_URL": self.database_url(secrets["db_password"]),
            "REDIS_URL": self.redis_url(secrets["redis_password"]),
            "NEWSDESK_SECRET_KEY": secrets["secret_key"],
            "NEWSDESK_DEBUG": "false",
            "NEWSDESK_ALLOWED_HOSTS": self.address("nd-lb"),
            "NEWSDESK_BASE_URL": self.entry,
            "NEWSDESK_TRUSTED_PROXIES": ",".join(self.trusted_proxies()),
            "PORT": str(APP_PORT),
            "PYTHONUNBUFFERED": "1",
        }
        if self.media:  # media in the bucket, served to readers through the balancer
            env["NEWSDESK_MEDIA_STORAGE"] = self.media_url(
                secrets["media_key"], secrets["media_secret"]
            )
            env["NEWSDESK_MEDIA_URL"] = f"{self.entry}/media/"
        if self.push:  # each committed update published once to Pushpin
            env["NEWSDESK_PUSHPIN_URL"] = f"http://{self.address('nd-push')}:{PUSH_CONTROL_PORT}"
        return env

    def describe(self):
        """JSON-safe summary, kept in the state directory for status and the tests."""
        return {
            "network": self.network,
            "bridge": BRIDGE,
            "gateway": self.gateway,
            "entry": self.entry,
            "media": self.media,
            "push": self.push,
            "hosts": [
                {
                    "name": host.name,
                    "address": self.address(host.name),
                    "role": host.role,
                    "runs": host.runs,
                    "port": host.port,
                }
                for host in self.enabled()
            ],
        }
