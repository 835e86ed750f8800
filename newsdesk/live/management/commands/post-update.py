"""`newsdesk post-update FEED`: post a live update from a script or a bot."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from newsdesk.live.actions import post_update
from newsdesk.live.models import LiveFeedPage, Verification
from newsdesk.live.text import paragraphs


class Command(BaseCommand):
    help = "Post a live update to the feed with slug FEED; prints its id and sequence number."

    def add_arguments(self, parser):
        parser.add_argument("feed", help="The live feed's slug, as in /live/<slug>/.")
        parser.add_argument("--headline", required=True)
        parser.add_argument("--body", default="", help="Plain text; blank lines make paragraphs.")
        parser.add_argument("--source", default="", help="Who reported it.")
        parser.add_argument("--source-url", default="", help="Link to the primary source.")
        parser.add_argument(
            "--verification",
            choices=Verification.values,
            default=Verification.UNVERIFIED,
            help="How far the newsroom has verified it (default: unverified).",
        )
        parser.add_argument("--key-event", action="store_true")
        parser.add_argument("--pinned", action="store_true")

    def handle(self, *args, feed, headline, body, source, source_url, verification, **options):
        live_feed = LiveFeedPage.objects.live().filter(slug=feed).first()
        if live_feed is None:
            known = ", ".join(LiveFeedPage.objects.live().values_list("slug", flat=True)) or "none"
            raise CommandError(f"No published live feed with slug {feed!r}. Known feeds: {known}.")
        try:
            update = post_update(
                live_feed,
                headline=headline,
                body=paragraphs(body),
                source_name=source,
                source_url=source_url,
                verification=verification,
                is_key_event=options["key_event"],
                is_pinned=options["pinned"],
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
            raise CommandError(f"The update was not posted: {problems}") from error
        self.stdout.write(
            f"id={update.pk} sequence={update.sequence} url={update.get_absolute_url()}"
        )
