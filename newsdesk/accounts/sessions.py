"""Idle sessions end: a signed-in session unused for NEWSDESK_SESSION_IDLE_MINUTES is flushed.

The time of last use is written at most once a minute, so an editor's clicks do not each
cost a database write. SESSION_COOKIE_AGE (12 hours) still bounds a session that stays busy.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout

LAST_SEEN_KEY = "newsdesk_last_seen"
WRITE_EVERY = 60  # seconds


def expire_if_idle(request):
    """Log the request's session out if it has been idle too long; refresh its time if not."""
    session = request.session
    if SESSION_KEY not in session:
        return
    now = int(time.time())
    last_seen = session.get(LAST_SEEN_KEY)
    if last_seen is None or now - last_seen > settings.NEWSDESK_SESSION_IDLE_MINUTES * 60:
        logout(request)
        return
    if now - last_seen >= WRITE_EVERY:
        session[LAST_SEEN_KEY] = now
