"""The wake-up the fetcher sends when it has stored items: open desks, in this process and
the others, read what is new (desk/incoming_stream.py listens on CHANNEL)."""

import logging

from newsdesk.core import pubsub

logger = logging.getLogger(__name__)

CHANNEL = "newsdesk_sources"

publish_outage = pubsub.Outage("Sources: publishing wake-ups", pubsub.FALLBACK, logger)


def notify():
    """Tell every process's desks that items were stored. Called after the commit (by the
    worker's fetcher, usually another process than the desks'). Without pub/sub the desks'
    processes look every POLL_SECONDS anyway (core/pubsub.py); with it they, this process
    included, hear this at once."""
    pubsub.publish(CHANNEL, "items", publish_outage)
