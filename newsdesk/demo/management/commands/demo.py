"""`newsdesk demo`: fill an empty site with the fictional demo newsroom."""

from django.core.management.base import BaseCommand

from newsdesk.demo.loader import configure_site, ensure_admin, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo content (fictional articles, authors, topics and images) and point the "
        "Wagtail site at NEWSDESK_BASE_URL. Safe to run again: nothing is created twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-admin",
            action="store_true",
            help=(
                'Also make sure a superuser "admin" exists, with a password generated once and '
                "kept in the data directory, and print how to log in."
            ),
        )

    def handle(self, *args, with_admin=False, **options):
        load_demo(self.stdout)
        configure_site(self.stdout)
        if with_admin:
            ensure_admin(self.stdout)
