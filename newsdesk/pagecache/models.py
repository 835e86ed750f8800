from django.db import models


class Invalidation(models.Model):
    """A change readers must not see stale, as the tags of the pages it touches.

    Written in the transaction that makes the change, so it commits (or not) with it. Server
    processes read the rows after the last one they applied when woken by pub/sub or by their
    polling timer (channel.py): the database is the truth here too, as for live updates.
    """

    tags = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return ", ".join(self.tags)
