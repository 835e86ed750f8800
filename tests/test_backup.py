"""`newsdesk backup` and `newsdesk restore` (newsdesk/backup, docs/backup.md).

Runs on whichever database the suite runs on: SQLite, or PostgreSQL when DATABASE_URL points
at it (then pg_dump and pg_restore run for real). Tests that write data use transactional_db:
the backup reads through its own connection (sqlite3's backup API, pg_dump), which sees only
committed rows.
"""

import hashlib
import io
import json
import os
import secrets
import sqlite3
import tarfile
import threading
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from newsdesk.backup import database
from newsdesk.backup.archive import MANIFEST, ArchiveError
from newsdesk.backup.create import create_backup
from newsdesk.backup.restore import Target, migration_gap, restore_backup
from newsdesk.core.pubsub import KEY_PREFIX, delete_keys
from newsdesk.live.models import FeedSequence, LiveUpdate
from newsdesk.media.storage import bucket_storage
from tests.factories import ensure_site_structure, make_article, make_live_feed, make_user, post
from tests.s3 import use_buckets

on_postgresql = connection.vendor == "postgresql"


def quiet(line):
    pass


# --- Helpers -------------------------------------------------------------------------------


def source_target():
    return Target(connection.settings_dict, Path(settings.MEDIA_ROOT))


@pytest.fixture
def fresh_target(tmp_path):
    """Makes empty places to restore into: a new data directory (SQLite) or a new database
    on the same server (PostgreSQL), each with its own media folder; dropped afterwards."""
    made = []

    def make():
        folder = tmp_path / f"restored-{len(made)}"
        if not on_postgresql:
            settings_dict = {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(folder / "newsdesk.sqlite3"),
            }
        else:
            name = f"{connection.settings_dict['NAME']}_r{secrets.token_hex(3)}"
            with admin_connection() as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            settings_dict = {**connection.settings_dict, "NAME": name}
        made.append(settings_dict["NAME"])
        return Target(settings_dict, folder / "media")

    yield make
    if on_postgresql:
        with admin_connection() as admin:
            for name in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_connection():
    import psycopg

    options = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        host=options.get("HOST") or None,
        port=options.get("PORT") or None,
        user=options.get("USER") or None,
        password=options.get("PASSWORD") or None,
        autocommit=True,
    )


def query(target, sql):
    """Rows of `sql` on the target, through a plain driver connection (no Django)."""
    if target.engine == "sqlite":
        with closing(sqlite3.connect(target.sqlite_path)) as plain:
            return plain.execute(sql).fetchall()
    with database.pg_connect(target.settings_dict) as plain:
        return plain.execute(sql).fetchall()


def every_row(target):
    """Every table's rows, sorted, read the same way from source and restore."""
    tables = sorted(connection.introspection.table_names())
    return {table: sorted(map(repr, query(target, f'SELECT * FROM "{table}"'))) for table in tables}  # noqa: S608


def media_contents(root):
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def sequences_are_contiguous(target):
    """Per feed: update sequences are exactly 1..N and the feed's counter says N."""
    per_feed = {}
    for feed_id, sequence in query(target, "SELECT feed_id, sequence FROM live_liveupdate"):
        per_feed.setdefault(feed_id, []).append(sequence)
    counters = dict(query(target, "SELECT feed_id, last FROM live_feedsequence"))
    for feed_id, numbers in per_feed.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), feed_id
        assert counters[feed_id] == len(numbers), feed_id
    return per_feed


def integrity(target):
    if target.engine == "sqlite":
        return query(target, "PRAGMA integrity_check")
    return [("ok",)]  # PostgreSQL has no such check; pg_restore ran in one transaction


@pytest.fixture
def site(transactional_db, local_media):
    """An article with a hero photo and two revisions, a live feed, editors, an MP3, and the
    temporary files a backup must leave out, all on disk (buckets: the tests at the end)."""
    ensure_site_structure()  # an earlier transactional test emptied every table
    article = make_article("Harbour reopens after the storm")
    article.title = "Harbour reopens after the storm, ferries run"
    article.save_revision().publish()
    feed = make_live_feed("Storm over the harbour", slug="harbour-storm")
    for number in range(3):
        post(feed, headline=f"Update {number}")
    make_user("backup-editor")  # no role: transactional tests empty the groups table too
    media = Path(settings.MEDIA_ROOT)
    (media / "narration").mkdir(parents=True, exist_ok=True)
    (media / "narration" / "abc.mp3").write_bytes(b"ID3" + bytes(range(256)) * 40)
    (media / "narration" / ".abc.mp3.1234.tmp").write_bytes(b"half an mp3")
    (media / "wagtail_uploads").mkdir()
    (media / "wagtail_uploads" / "chunk").write_bytes(b"upload in progress")
    return feed


def members(archive):
    with tarfile.open(archive) as tar:
        return tar.getnames()


# --- Round trip ----------------------------------------------------------------------------


def test_backup_then_restore_into_a_fresh_data_directory(site, tmp_path, fresh_target):
    archive = tmp_path / "site.tar"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert f"Backup written to {archive}" in out.getvalue()
    names = members(archive)
    assert names[-1] == MANIFEST
    assert "media/narration/abc.mp3" in names
    assert not any(".tmp" in name or "wagtail_uploads" in name for name in names)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
    assert manifest["database"]["engine"] == ("postgresql" if on_postgresql else "sqlite")
    assert ["live", "0001_initial"] in manifest["migrations"]
    assert manifest["files"] == 2  # the hero photo's original and the MP3

    target = fresh_target()
    summary = restore_backup(archive, target, log=quiet)
    assert summary.pending_migrations == []
    assert integrity(target) == [("ok",)]
    assert every_row(target) == every_row(source_target())
    titles = {row[0] for row in query(target, "SELECT title FROM wagtailcore_page")}
    assert "Harbour reopens after the storm, ferries run" in titles
    assert query(target, "SELECT count(*) FROM wagtailcore_revision")[0][0] >= 3
    expected_media = {
        name: digest
        for name, digest in media_contents(Path(settings.MEDIA_ROOT)).items()
        if ".tmp" not in name and not name.startswith("wagtail_uploads")
    }
    assert media_contents(target.media_root) == expected_media
    assert sorted(path.name for path in target.media_root.parent.iterdir()) == (
        ["media"] if on_postgresql else ["media", "newsdesk.sqlite3"]
    )


@pytest.mark.skipif(not on_postgresql, reason="pg_dump/pg_restore: needs DATABASE_URL=postgres…")
def test_postgresql_archive_holds_a_custom_format_dump(site, tmp_path):
    summary = create_backup(tmp_path / "pg.tar", log=quiet)
    with tarfile.open(summary.path) as tar:
        dump = tar.extractfile(database.POSTGRES_MEMBER).read()
        manifest = json.loads(tar.extractfile(MANIFEST).read())
    assert dump.startswith(b"PGDMP")
    assert manifest["database"]["pg_dump"].startswith("pg_dump (PostgreSQL)")


# --- Backups while the site writes ---------------------------------------------------------


def test_backup_while_live_updates_are_posted_restores_consistently(site, tmp_path, fresh_target):
    """A writer thread keeps posting; backups taken meanwhile restore to a consistent prefix."""
    stop = threading.Event()
    posted = []
    progress = threading.Condition()
    failures = []

    def writer():
        try:
            while not stop.is_set():
                update = post(site, headline=f"Written during the backup {len(posted)}")
                with progress:
                    posted.append(update.sequence)
                    progress.notify_all()
        except Exception as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    def wait_for_posts(count):
        with progress:
            assert progress.wait_for(lambda: len(posted) >= count or failures, timeout=120)

    thread = threading.Thread(target=writer)
    thread.start()
    restored = []
    try:
        for round_number in range(2):
            wait_for_posts(len(posted) + 5)  # the writer is busy before each backup ...
            summary = create_backup(tmp_path / f"busy-{round_number}.tar", log=quiet)
            during = len(posted)
            wait_for_posts(during + 5)  # ... and carries on after it
            target = fresh_target()
            restore_backup(summary.path, target, log=quiet)
            restored.append(target)
    finally:
        stop.set()
        thread.join()
    assert not failures
    written = [row.sequence for row in LiveUpdate.objects.filter(feed=site).order_by("sequence")]
    assert written == list(range(1, len(written) + 1))
    lengths = []
    for target in restored:
        assert integrity(target) == [("ok",)]
        per_feed = sequences_are_contiguous(target)
        lengths.append(len(per_feed[site.pk]))
        # A prefix of what was written: the same headlines for the same numbers.
        rows = query(
            target,
            f"SELECT sequence, headline FROM live_liveupdate WHERE feed_id = {site.pk}",  # noqa: S608
        )
        by_sequence = dict(LiveUpdate.objects.filter(feed=site).values_list("sequence", "headline"))
        assert all(by_sequence[sequence] == headline for sequence, headline in rows)
    assert 3 < lengths[0] <= lengths[1] < len(written)


# --- Refusals ------------------------------------------------------------------------------


def damage(archive, how, tmp_path):
    data = bytearray(archive.read_bytes())
    damaged = tmp_path / f"{how}.tar"
    if how == "truncated":
        damaged.write_bytes(data[: len(data) // 2])
    else:
        with tarfile.open(archive) as tar:
            member = tar.getmember("media/narration/abc.mp3")
        data[member.offset_data + 10] ^= 0xFF
        damaged.write_bytes(data)
    return damaged


@pytest.mark.parametrize("how", ["truncated", "flipped byte"])
def test_damaged_archive_is_refused_and_changes_nothing(site, tmp_path, fresh_target, how):
    archive = create_backup(tmp_path / "good.tar", log=quiet).path
    target = fresh_target()
    restore_backup(archive, target, log=quiet)
    post(site, headline="Only in the second backup")
    newer = create_backup(tmp_path / "newer.tar", log=quiet).path
    rows_before, media_before = every_row(target), media_contents(target.media_root)

    with pytest.raises(ArchiveError, match="Nothing was changed|nothing was changed") as error:
        restore_backup(damage(newer, how, tmp_path), target, force=True, log=quiet)
    assert "damaged" in str(error.value) or "truncated" in str(error.value)
    assert every_row(target) == rows_before
    assert media_contents(target.media_root) == media_before
    leftovers = [path.name for path in target.media_root.parent.iterdir()]
    assert not [name for name in leftovers if "restore" in name]
    with pytest.raises(CommandError, match="not a readable Newsdesk backup"):
        call_command("restore", str(damage(newer, "truncated", tmp_path)), "--check")


def test_restore_refuses_a_site_that_is_not_empty_without_force(site, tmp_path):
    archive = create_backup(tmp_path / "site.tar", log=quiet).path
    post(site, headline="Posted after the backup")
    count = LiveUpdate.objects.count()
    with pytest.raises(CommandError, match="--force") as error:
        call_command("restore", str(archive), stdout=io.StringIO())
    assert "not empty" in str(error.value)
    assert LiveUpdate.objects.count() == count

    out = io.StringIO()
    call_command("restore", str(archive), "--force", stdout=out)
    assert "The database schema matches this code" in out.getvalue()
    assert LiveUpdate.objects.count() == count - 1
    assert not LiveUpdate.objects.filter(headline="Posted after the backup").exists()
    assert FeedSequence.objects.get(feed=site).last == count - 1


def test_backup_does_not_overwrite_an_existing_archive(site, tmp_path):
    existing = tmp_path / "taken.tar"
    existing.write_bytes(b"an earlier backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(existing), stdout=io.StringIO())
    assert existing.read_bytes() == b"an earlier backup"
    assert sorted(path.name for path in tmp_path.iterdir() if "taken" in path.name) == ["taken.tar"]


# --- Checks that need no database ----------------------------------------------------------


def test_missing_pg_dump_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ArchiveError, match="pg_dump was not found.*postgresql-client"):
        database.pg_dump({"NAME": "newsdesk"}, tmp_path / "dump")


def test_migration_gap_between_archive_and_code():
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = sorted([app, name] for app, name in loader.graph.nodes)
    assert migration_gap({"migrations": applied}) == ([], [])

    older = [key for key in applied if key != ["live", "0001_initial"]]
    assert migration_gap({"migrations": older})[0] == ["live.0001_initial"]

    newer = [*applied, ["live", "9999_from_the_future"], ["gone_app", "0001_initial"]]
    assert migration_gap({"migrations": newer}) == ([], ["live.9999_from_the_future"])


# --- Media in buckets (tests/s3.py: a real SeaweedFS) --------------------------------------


def digest(data):
    return hashlib.sha256(data).hexdigest()


def bucket_contents(buckets):
    """{storage name: sha256} of every object of the test's prefix, in both buckets."""
    client, found = buckets.client(), {}
    for private in (False, True):
        bucket = buckets.location.private_bucket if private else buckets.location.bucket
        for name in buckets.objects(private=private):
            body = client.get_object(Bucket=bucket, Key=buckets.key(name))["Body"].read()
            found[name] = digest(body)
    return found


def in_buckets(target):
    return Target(target.settings_dict, target.media_root, bucket_storage())


@pytest.fixture
def bucket_site(transactional_db, s3_media):
    """An article with a hero photo (original and a rendition in the buckets) and an MP3."""
    ensure_site_structure()
    article = make_article("Harbour reopens after the storm")
    article.hero_image.get_rendition("width-400|format-webp")
    default_storage.save("narration/" + "a" * 32 + ".mp3", ContentFile(b"ID3" + b"\x00" * 5000))
    return article


def test_backup_of_buckets_restores_into_other_buckets_and_into_a_folder(
    bucket_site, s3_media, settings, tmp_path, fresh_target
):
    source = bucket_contents(s3_media)
    assert len(s3_media.objects(private=True)) == 1 and len(s3_media.objects()) >= 2
    out = io.StringIO()
    call_command("backup", str(tmp_path / "site.tar"), stdout=out)
    assert f"(from {bucket_storage().describe()})" in out.getvalue()
    with tarfile.open(tmp_path / "site.tar") as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        in_archive = {
            name.removeprefix("media/"): digest(tar.extractfile(name).read())
            for name in tar.getnames()
            if name.startswith("media/")
        }
    assert in_archive == source
    assert manifest["media_source"] == "bucket" and manifest["files"] == len(source)
    for name, value in in_archive.items():
        assert manifest["members"]["media/" + name]["sha256"] == value

    # Into other, empty buckets: originals land in the private one again.
    target = fresh_target()
    other = use_buckets(settings, s3_media.base)
    restore_backup(tmp_path / "site.tar", in_buckets(target), log=quiet)
    assert bucket_contents(other) == source
    assert set(other.objects(private=True)) == set(s3_media.objects(private=True))
    assert every_row(target) == every_row(source_target())
    assert not target.media_root.exists()

    # And into a folder: the same archive gives a disk site.
    folder = fresh_target()
    restore_backup(tmp_path / "site.tar", folder, log=quiet)
    assert media_contents(folder.media_root) == source


def test_a_disk_archive_restores_into_buckets_replacing_what_they_held(
    site, tmp_path, fresh_target, request
):
    on_disk = {
        name: value
        for name, value in media_contents(Path(settings.MEDIA_ROOT)).items()
        if ".tmp" not in name and not name.startswith("wagtail_uploads")
    }
    archive = create_backup(tmp_path / "disk.tar", log=quiet).path
    buckets = request.getfixturevalue("s3_media")
    default_storage.save("images/stale.webp", ContentFile(b"from before the restore"))
    target = in_buckets(fresh_target())
    with pytest.raises(ArchiveError, match="not empty.*--force"):
        restore_backup(archive, target, log=quiet)
    assert "images/stale.webp" in buckets.objects()  # the refusal changed nothing
    restore_backup(archive, target, force=True, log=quiet)
    assert bucket_contents(buckets) == on_disk
    originals = {row[0] for row in query(target, "SELECT file FROM images_newsimage")}
    assert originals and originals <= set(buckets.objects(private=True))


def test_backup_and_restore_refuse_an_unreachable_bucket(s3_media, settings, tmp_path, db):
    working = settings.STORAGES
    archive = create_backup(tmp_path / "good.tar", log=quiet).path
    options = working["default"]["OPTIONS"]
    settings.STORAGES = {
        **working,
        "default": {
            **working["default"],
            "OPTIONS": {**options, "endpoint_url": "http://127.0.0.1:9"},
        },
    }
    with pytest.raises(CommandError, match="cannot be reached.*Nothing was written"):
        call_command("backup", str(tmp_path / "never.tar"), stdout=io.StringIO())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["good.tar"]
    target = Target(
        {**connection.settings_dict, "NAME": "never-touched"}, tmp_path / "media", bucket_storage()
    )
    with pytest.raises(ArchiveError, match="cannot be reached.*Nothing was changed"):
        restore_backup(archive, target, force=True, log=quiet)


# --- Redis: only Newsdesk's keys are cleared -------------------------------------------------


@pytest.fixture
def shared_redis(settings):
    """A Redis database that Newsdesk shares with another program, as the cache, the page
    cache's store and pub/sub. The page cache tests' database number: scripts/test.sh gives its
    two runs different ones, since they run side by side."""
    import redis

    url = os.environ.get("NEWSDESK_TEST_REDIS_PAGECACHE_URL", "redis://127.0.0.1:6379/5")
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "newsdesk.core.cache.ForgivingRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "newsdesk:cache",  # as settings.py
        }
    }
    client = redis.Redis.from_url(url, socket_timeout=2)
    client.delete("someone-else:session")
    client.set("someone-else:session", b"theirs")
    yield client
    client.delete("someone-else:session")
    delete_keys()


def newsdesk_keys(client):
    return sorted(client.scan_iter(match=KEY_PREFIX + "*"))


def test_restore_clears_newsdesks_keys_in_redis_and_nothing_else(site, tmp_path, shared_redis):
    from django.core.cache import cache

    from newsdesk.pagecache import shared

    archive = create_backup(tmp_path / "site.tar", log=quiet).path
    cache.set("a-rate-limit", 3)
    page = shared.PREFIX + "e:/news/harbour/"
    shared_redis.set(page, b"a page from before the restore")
    assert cache.get("a-rate-limit") == 3 and shared_redis.get(page) is not None
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert newsdesk_keys(shared_redis) == []
    assert cache.get("a-rate-limit") is None
    assert shared_redis.get("someone-else:session") == b"theirs"


def test_the_redis_cache_clears_its_own_keys_only(shared_redis):
    from django.core.cache import cache

    from newsdesk.pagecache import shared

    cache.set("wagtail-root-paths", ["/"])
    page = shared.PREFIX + "e:/topics/energy/"
    shared_redis.set(page, b"a cached page")
    assert cache.clear() is True
    assert cache.get("wagtail-root-paths") is None
    assert shared_redis.get(page) == b"a cached page"  # the page cache's, not the cache's
    assert shared_redis.get("someone-else:session") == b"theirs"
    shared.clear()
    assert newsdesk_keys(shared_redis) == []
    assert shared_redis.get("someone-else:session") == b"theirs"


def test_only_newsdesks_keys_can_be_deleted(shared_redis):
    with pytest.raises(ValueError, match="Only Newsdesk's keys"):
        delete_keys("someone-else:*")
    with pytest.raises(ValueError, match="Only Newsdesk's keys"):
        delete_keys("*")
    assert shared_redis.get("someone-else:session") == b"theirs"
