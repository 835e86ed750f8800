"""`newsdesk source`: add, list, fetch and read sources from the command line."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsdesk.live.models import Verification
from newsdesk.sources.fetcher import fetch_source
from newsdesk.sources.models import Kind, Source


class Command(BaseCommand):
    help = "Wires and official channels the desk watches (docs/sources.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a source (enabled; the worker polls it).")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=Kind.values)
        where = add.add_mutually_exclusive_group(required=True)
        where.add_argument("--url", default="")
        where.add_argument("--folder", default="")
        add.add_argument("--interval", type=int, default=60, help="Seconds between polls.")
        add.add_argument("--language", default="en")
        add.add_argument("--verification", choices=Verification.values, default="unverified")
        add.add_argument(
            "--allow-private",
            action="store_true",
            help="Let it reach private and loopback addresses (refused by default).",
        )
        sub.add_parser("list", help="Every source with its status.")
        fetch = sub.add_parser("fetch", help="Fetch a source now, in the foreground.")
        fetch.add_argument("name")
        items = sub.add_parser("items", help="A source's stored items, with their versions.")
        items.add_argument("name")
        items.add_argument("--json", action="store_true", help="A JSON list of objects.")

    def handle(self, *args, action, **options):
        getattr(self, action)(**options)

    def add(self, *, name, kind, url, folder, interval, language, verification, **options):
        if (kind == Kind.FOLDER) != bool(folder):
            raise CommandError("--folder goes with --kind folder, --url with every other kind.")
        source = Source(
            name=name, kind=kind, url=url, folder=folder, interval=interval,
            language=language, verification=verification,
            allow_private=options["allow_private"],
        )  # fmt: skip
        try:
            source.full_clean()
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        source.save()
        self.stdout.write(f"added {source.kind} {source.name}: {source.location}")

    def list(self, **options):
        now = timezone.now()
        for source in Source.objects.all():
            self.stdout.write(
                f"{source.name}\t{source.kind}\t{source.location}\t{source.status_text(now)}"
            )

    def fetch(self, *, name, **options):
        source = _source(name)
        result = fetch_source(source)
        for line in result.files:
            self.stdout.write(line)
        if result.not_modified:
            self.stdout.write("not modified")
        for item in result.outcome.new:
            self.stdout.write(f"new {item.guid}\t{item.headline}")
        for item in result.outcome.changed:
            self.stdout.write(
                f"changed {item.guid}\t{item.headline} (version {item.version_count})"
            )
        for reason in result.outcome.refused:
            self.stdout.write(f"refused {reason}")
        self.stdout.write(result.outcome.summary())
        if result.error:
            raise CommandError(result.error)

    def items(self, *, name, json=False, **options):
        source = _source(name)
        rows = source.items.prefetch_related("versions").order_by("first_seen_at", "pk")
        if json:
            self.stdout.write(_json([_item_data(item) for item in rows]))
            return
        for item in rows:
            self.stdout.write(f"{item.guid}\t{item.headline}")
            for version in item.versions.all():
                changed = ", ".join(version.changed) or "first version"
                self.stdout.write(
                    f"  version {version.number} fetched {version.fetched_at:%Y-%m-%d %H:%M:%S}"
                    f" ({changed})"
                )


def _source(name):
    source = Source.objects.filter(name=name).first()
    if source is None:
        raise CommandError(f"No source is named {name!r} (`newsdesk source list`).")
    return source


def _item_data(item):
    return {
        "guid": item.guid,
        "headline": item.headline,
        "link": item.link,
        "source_time": _time(item.source_time),
        "first_seen_at": _time(item.first_seen_at),
        "versions": [
            {
                "number": version.number,
                "source_version": version.source_version,
                "headline": version.headline,
                "body": version.body,
                "link": version.link,
                "source_time": _time(version.source_time),
                "fetched_at": _time(version.fetched_at),
                "changed": version.changed,
            }
            for version in item.versions.all()
        ],
    }


def _time(moment):
    return moment.isoformat() if moment else None


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2)


def _messages(error):
    return " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
