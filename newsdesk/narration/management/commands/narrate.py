import time

from django.core.management.base import BaseCommand, CommandError

from newsdesk.articles.models import ArticlePage
from newsdesk.narration import actions
from newsdesk.narration.models import AudioStatus, Narration


class Command(BaseCommand):
    help = (
        "(Re)generate the audio of published articles. Without --wait the jobs go to the "
        "worker's queue; with --wait they are narrated here, with progress and a summary."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--slug", action="append", help="An article's slug (repeatable).")
        which.add_argument("--all", action="store_true", help="Every published article.")
        parser.add_argument(
            "--wait", action="store_true", help="Narrate now and wait for the results."
        )
        parser.add_argument(
            "--changed-only",
            action="store_true",
            help="Skip articles whose audio already reads their current text.",
        )

    def handle(self, *args, slug, all, wait, changed_only, **options):
        articles = ArticlePage.objects.live().order_by("-first_published_at")
        if slug:
            articles = articles.filter(slug__in=slug)
            missing = set(slug) - set(articles.values_list("slug", flat=True))
            if missing:
                raise CommandError(
                    f"No published article with the slug {', '.join(sorted(missing))}. "
                    "`newsdesk narrate --all` narrates every published article."
                )
        articles = list(articles)
        queued = [a for a in articles if actions.request_narration(a, force=not changed_only)]
        if not wait:
            self.stdout.write(
                f"Queued {len(queued)} of {len(articles)} articles; `newsdesk worker` (started "
                "by `newsdesk serve`) narrates them. Add --wait to narrate here and now."
            )
            return
        self.narrate_now(queued)

    def narrate_now(self, articles):
        started = time.monotonic()
        results = []
        for number, article in enumerate(articles, 1):
            row = Narration.objects.get(article=article)
            began = time.monotonic()
            try:
                actions.run_job("article", row.pk)
            except Exception as error:  # noqa: BLE001 - the row records it; so does the summary
                self.stderr.write(f"  {type(error).__name__}: {error}")
            row = self.wait_for(row)
            elapsed = time.monotonic() - began
            results.append((article, row, elapsed))
            self.stdout.write(f"[{number}/{len(articles)}] {self.describe(row, elapsed)}")
        self.summary(results, time.monotonic() - started)

    def wait_for(self, row, timeout=600):
        """Another worker may hold the job; wait for it to finish (or fail)."""
        deadline = time.monotonic() + timeout
        while True:
            row.refresh_from_db()
            if row.status in (AudioStatus.READY, AudioStatus.FAILED):
                return row
            if row.status == AudioStatus.PENDING and row.error:
                return row  # failed once; the worker retries it later
            if time.monotonic() > deadline:
                return row
            time.sleep(0.5)

    def describe(self, row, elapsed):
        if row.status == AudioStatus.READY:
            minutes, seconds = divmod(round(row.duration or 0), 60)
            return (
                f"ready   {row.article.title} — {minutes}:{seconds:02d} of audio in {elapsed:.1f} s"
            )
        return f"{row.status:<7} {row.article.title} — {row.error or 'still in the queue'}"

    def summary(self, results, elapsed):
        ready = [r for _, r, _ in results if r.status == AudioStatus.READY]
        failed = [r for _, r, _ in results if r.status != AudioStatus.READY]
        audio_seconds = sum(r.duration or 0 for r in ready)
        self.stdout.write("")
        self.stdout.write("Narration summary")
        self.stdout.write(f"  articles       {len(results)}")
        self.stdout.write(f"  ready          {len(ready)}")
        self.stdout.write(f"  not ready      {len(failed)}")
        self.stdout.write(f"  audio          {audio_seconds / 60:.1f} min")
        self.stdout.write(f"  time taken     {elapsed:.1f} s")
        if audio_seconds:
            self.stdout.write(f"  real-time factor {elapsed / audio_seconds:.3f}")
        for row in failed:
            self.stdout.write(self.style.ERROR(f"  {row.article.title}: {row.error}"))
        if failed:
            raise CommandError(
                f"{len(failed)} article(s) have no new audio; the errors are above and in the "
                "admin under Narration › Article audio."
            )
