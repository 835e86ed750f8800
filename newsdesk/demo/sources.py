"""Three demo sources and the small feeds the demo site serves for them itself, so that a new
user of `make demo` sees items arrive in the desk's Incoming column.

Everything here is invented, like the rest of the demo: Zelenobrid, its officials and its
agency do not exist, and links point at example.org. Each feed shows a new item every
`period` seconds, computed from the clock (no state): item slot N is published at N × period
seconds after the epoch, and the feed lists the last few slots, cycling through the texts
below. The agency wire also sends a second version of each item one period after the first,
as agencies do, so the desk shows versions too.

The feeds are served at /demo/sources/<slug> only in debug mode (`make demo` runs in it), and
the demo's sources allow loopback addresses, since the site fetches its own feeds.
"""

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from newsdesk.sources.models import AlertRule, Source

LISTED = 6
"""Slots each feed lists: older ones drop off, as in a real feed."""

SOURCES = [
    {
        "slug": "oblast-administration.xml",
        "name": "Zelenobrid Oblast Military Administration (demo)",
        "kind": "rss",
        "verification": "official",
        "period": 50,
        "items": [
            (
                "Air raid alert in Zelenobrid Oblast",
                "Go to the nearest shelter and stay there until the all-clear.",
            ),
            (
                "All clear in Zelenobrid Oblast",
                "The air raid alert has ended. Thank you for staying in shelters.",
            ),
            (
                "Evacuation of two villages near the river continues",
                "Buses leave the Left Bank school at the top of every hour. Bring documents "
                "and medicines.",
            ),
            (
                "Heating points open in the Left Bank district",
                "Four heating points are open around the clock; the list is on the "
                "administration's site.",
            ),
            (
                "Debris from a downed drone damaged a warehouse roof",
                "No one was hurt. Rescuers are at the scene.",
            ),
            (
                "Curfew starts at midnight tonight",
                "The curfew runs from midnight to 5 a.m. as before.",
            ),
        ],
    },
    {
        "slug": "hydromet.json",
        "name": "Regional hydrometeorological center (demo)",
        "kind": "jsonfeed",
        "verification": "official",
        "period": 80,
        "items": [
            (
                "Storm warning extended to Thursday morning",
                "Gusts of 20 to 25 metres per second are expected across the oblast.",
            ),
            (
                "River level at the Zelenobrid gauge rose 40 cm overnight",
                "The level is below the flood mark; the center measures it every hour.",
            ),
            (
                "Ice on roads after midnight",
                "Temperatures fall to minus 3 degrees; drivers should slow down.",
            ),
            (
                "Heavy rain eases by the afternoon",
                "Showers move east; the wind stays strong until evening.",
            ),
        ],
    },
    {
        "slug": "agency-wire.json",
        "name": "Zelenobrid News Agency wire (demo)",
        "kind": "ninjs",
        "verification": "unverified",
        "period": 65,
        "items": [
            (
                "Power restored to part of the Left Bank, utility says",
                "Oblenergo said crews had reconnected about 1,200 homes.",
                "The utility later raised the figure to 1,800 homes.",
            ),
            (
                "Tram routes 3 and 5 run again after storm repairs",
                "Electrotrans said the overhead line on Sadova Street was fixed.",
                "Route 7 is expected to follow in the afternoon.",
            ),
            (
                "City council approves emergency repair fund",
                "Deputies voted for a fund to repair roofs damaged by the storm.",
                "Residents can apply from Monday, the council said.",
            ),
            (
                "Water supply interrupted in three streets for repairs",
                "Vodokanal said water would be back by evening.",
                "Tankers are parked by the market meanwhile.",
            ),
        ],
    },
]

BY_SLUG = {source["slug"]: source for source in SOURCES}


def _slots(source, now):
    current = int(now.timestamp() // source["period"])
    return [slot for slot in range(current, current - LISTED, -1) if slot >= 0], current


def _moment(source, slot):
    return datetime.fromtimestamp(slot * source["period"], UTC)


def _text(source, slot):
    return source["items"][slot % len(source["items"])]


def _link(source, slot):
    return f"https://{source['slug'].split('.')[0]}.example.org/{slot}"


def rss(source, now):
    entries = []
    for slot in _slots(source, now)[0]:
        headline, body = _text(source, slot)[:2]
        entries.append(
            f"<item><guid>{_link(source, slot)}</guid><title>{escape(headline)}</title>"
            f"<link>{_link(source, slot)}</link><description>{escape(body)}</description>"
            f"<pubDate>{format_datetime(_moment(source, slot), usegmt=True)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(source['name'])}</title><link>https://example.org/</link>"
        f"<description>Demo feed</description>{''.join(entries)}</channel></rss>"
    )


def jsonfeed(source, now):
    items = []
    for slot in _slots(source, now)[0]:
        headline, body = _text(source, slot)[:2]
        items.append(
            {
                "id": _link(source, slot),
                "url": _link(source, slot),
                "title": headline,
                "content_text": body,
                "date_published": _moment(source, slot).isoformat(),
            }
        )
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": source["name"], "items": items}
    return json.dumps(feed, ensure_ascii=False)


def ninjs(source, now):
    slots, current = _slots(source, now)
    items = []
    for slot in slots:
        headline, body, later = _text(source, slot)
        updated = slot < current  # one period on, the agency sends version 2
        items.append(
            {
                "uri": f"urn:demo:zelenobrid-agency:{slot}",
                "version": "2" if updated else "1",
                "versioncreated": _moment(source, slot + (1 if updated else 0)).isoformat(),
                "firstcreated": _moment(source, slot).isoformat(),
                "pubstatus": "usable",
                "language": "en",
                "headline": headline,
                "body_text": f"{body}\n\n{later}" if updated else body,
                "links": [{"rel": "canonical", "href": _link(source, slot)}],
            }
        )
    return json.dumps(items, ensure_ascii=False)


RENDER = {
    "rss": (rss, "application/rss+xml; charset=utf-8"),
    "jsonfeed": (jsonfeed, "application/feed+json; charset=utf-8"),
    "ninjs": (ninjs, "application/json; charset=utf-8"),
}


def feed(slug, now):
    """(body, content type) of a demo feed as it stands at `now`; KeyError for no such feed."""
    source = BY_SLUG[slug]
    render, content_type = RENDER[source["kind"]]
    return render(source, now).encode(), content_type


def ensure_sources(base_url, report):
    """The demo's sources, pointing at this site's own demo feeds, and one alert word."""
    for source in SOURCES:
        _, created = Source.objects.get_or_create(
            name=source["name"],
            defaults={
                "kind": source["kind"],
                "url": f"{base_url.rstrip('/')}/demo/sources/{source['slug']}",
                "interval": 10,
                "verification": source["verification"],
                "allow_private": True,
            },
        )
        if created:
            report("source", source["name"])
    AlertRule.objects.get_or_create(words="evacuat", defaults={"sound": True})
