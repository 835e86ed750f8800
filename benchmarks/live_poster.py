"""The live benchmark's editor: posts updates to a feed at a fixed rate, from its own process.

    python -m benchmarks.live_poster SLUG COUNT INTERVAL

Run by benchmarks.live with the server's environment (same database). Boots Django, prints
{"ready": true}, waits for a line on stdin, then posts COUNT updates, one every INTERVAL
seconds, through newsdesk.live.actions.post_update, exactly as an editor's post would be. For
each it prints {"sequence", "id", "committed"}: committed is time.time() taken right after
post_update returned, that is after the transaction committed (and, with Redis or
PostgreSQL, after the wake-up was published).
"""

import json
import os
import sys
import time

BODY = (
    "<p>Repair crews reconnected another 4,200 homes on the Left Bank in the past hour, the "
    "power company said, and expect to finish the remaining streets by early evening.</p>"
    "<p>Residents who still have no power should report it to the hotline at 1580 rather than "
    "the emergency number, so that 101 stays free for calls about danger to life.</p>"
)


def main():
    slug, count, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    import django

    django.setup()
    from newsdesk.live.actions import post_update
    from newsdesk.live.models import LiveFeedPage

    feed = LiveFeedPage.objects.get(slug=slug)
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    start = time.time()
    for number in range(count):
        time.sleep(max(0.0, start + number * interval - time.time()))
        update = post_update(
            feed,
            headline=f"Benchmark update {number + 1} of {count}",
            body=BODY,
            source_name="Benchmark desk",
            source_channel="benchmark",
            verification="official",
        )
        committed = time.time()
        line = {"sequence": update.sequence, "id": update.pk, "committed": committed}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
