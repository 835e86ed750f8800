from django.db import models


class IndexState(models.Model):
    """One row: a number that grows whenever Wagtail's search index table changes.

    Database triggers on that table bump it (migration search.0004), in the statement that
    changes the index, whoever makes it: the indexing tasks, `update_index`, migrations.
    Together with the page cache's newest invalidation it says when a search's stored
    candidates may be out of date (searcher.generation).
    """

    generation = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "search index state"

    def __str__(self):
        return f"search index, generation {self.generation}"
