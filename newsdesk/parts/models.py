from django.db import models


class Part(models.Model):
    """A rendered piece of a reader page (an article's body and header, a listing card),
    kept until something it shows changes (docs/caching.md#stored-parts).

    The key names the piece, the code and settings that rendered it (store.fingerprint) and
    the language; the tags (PartTag) are those of everything loaded while it was built, as
    the page cache records them, so one invalidation drops a page and its parts alike.
    """

    key = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=255, db_index=True)
    """The key up to its first argument (an article's card, whatever its variant): a listing
    reads every card of its articles in one query."""
    html = models.TextField()
    tags = models.JSONField(default=list)
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.key


class PartTag(models.Model):
    """One tag of a part, indexed: an invalidation deletes the parts carrying its tags."""

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=200, db_index=True)

    def __str__(self):
        return self.tag


class Generation(models.Model):
    """One row, counted up by every invalidation in the change's own transaction.

    A part built from rows read before a change committed must not be stored after the
    change dropped the parts: a build notes the count before it reads anything and stores
    only if the count is the same, read under the row's lock (store.py)."""

    value = models.BigIntegerField(default=0)

    def __str__(self):
        return str(self.value)
