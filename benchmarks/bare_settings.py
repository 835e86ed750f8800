"""Newsdesk's settings plus one benchmark-only page type (benchmarks/barepage), so that the
HTTP benchmark's server can serve a bare Wagtail page beside Newsdesk's own, in the same
process and run: same server, middleware, database and Wagtail; only the page differs."""

from newsdesk.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.barepage"]  # noqa: F405
