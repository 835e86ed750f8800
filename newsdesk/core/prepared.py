"""Queries compiled once per process and run again with other values.

Django compiles a queryset's SQL on every evaluation. For the query every article request
makes (the route's look-up of a wide page row: Wagtail's page columns joined with the
article's), compiling and building the instance cost about 2.5 ms of a 10 ms render, against
0.1-0.2 ms for SQLite to run it (10,000-article set, docs/caching.md "Render cost"). A
PreparedQuery compiles its queryset the first time it runs on a database, keeps the SQL, the
place of each value among its parameters and the column converters, and after that only
executes and builds instances.

It takes plain querysets only: one model, all its concrete fields, no select_related,
annotations or deferred fields, and values that are compared exactly (a LIKE pattern, as
`startswith` makes, changes the value and is refused). PreparedRows takes a `values_list()`
queryset instead (columns of the model and of rows it joins) and returns plain tuples, for
the reads that need no model instance at all (a live page's timeline, a feed's version rows).
Values are strings, integers and time-zone-aware datetimes. Compiling checks this and says what
is wrong; tests/test_prepared.py compares every field with what the ORM reads, so a Django
upgrade that changes how a query is compiled fails there, loudly (docs/development.md,
upgrade checklist).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.apps import apps
from django.db import connections, router


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple  # where each value goes among params
    adapted: tuple  # per value: whether the database's datetime adapter applies to it
    converters: tuple  # (column, converter functions, expression)


class PreparedQuery:
    """`build(model, *values)` returns the queryset; `.all(*values)` and `.first(*values)`
    run it. The model may be given as its label ("app.Model"), for use before apps load."""

    def __init__(self, model, build):
        self._model = model
        self.build = build
        self._compiled = {}  # database alias -> _Compiled

    @property
    def model(self):
        if isinstance(self._model, str):
            self._model = apps.get_model(self._model)
        return self._model

    def all(self, *values):
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        compiled = self._compiled.get(alias) or self._compile(alias, values)
        params = list(compiled.params)
        adapt = connection.ops.adapt_datetimefield_value
        for position, adapted, value in zip(
            compiled.positions, compiled.adapted, values, strict=True
        ):
            value = _aware(value)
            params[position] = adapt(value) if adapted else value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        converters = compiled.converters
        if converters:
            rows = [self._converted(row, converters, connection) for row in rows]
        return self._built(alias, rows)

    @staticmethod
    def _converted(row, converters, connection):
        row = list(row)
        for column, functions, expression in converters:
            for function in functions:
                row[column] = function(row[column], expression, connection)
        return row

    def _built(self, alias, rows):
        names = self._names
        return [self.model.from_db(alias, names, row) for row in rows]

    def first(self, *values):
        found = self.all(*values)
        return found[0] if found else None

    @property
    def _names(self):
        return [field.attname for field in self.model._meta.concrete_fields]

    def _check(self, query, compiler):
        if query.select_related or query.annotations or query.deferred_loading[0]:
            raise ValueError("a prepared query takes no select_related, annotations or only()")
        selected = [column.target.attname for column, _, _ in compiler.select]
        if selected != self._names:
            raise ValueError(f"a prepared query selects the model's fields, not {selected}")

    def _compile(self, alias, values):
        # Each value is replaced by a sentinel of its own type, then found among the
        # compiled parameters: that is where the real value goes on every later run.
        connection = connections[alias]
        sentinels = [_sentinel(index, value) for index, value in enumerate(values)]
        queryset = self.build(self.model, *sentinels)
        query = queryset.query
        if queryset.model is not self.model:
            raise ValueError(f"the queryset is of {queryset.model}, not {self.model}")
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        self._check(query, compiler)
        positions, adapted = [], []
        for sentinel in sentinels:
            forms = [(sentinel, False)]
            if isinstance(sentinel, datetime):
                adapted_form = connection.ops.adapt_datetimefield_value(sentinel)
                if adapted_form != sentinel:  # SQLite: a string; PostgreSQL: the datetime
                    forms.append((adapted_form, True))
            found = [
                (n, is_adapted)
                for n, param in enumerate(params)
                for form, is_adapted in forms
                if param == form  # PostgreSQL wraps some integers (Int4)
            ]
            if len(found) != 1:
                raise ValueError(
                    f"value {sentinel!r} appears {len(found)} times among the parameters: "
                    "a prepared query compares each value exactly once"
                )
            positions.append(found[0][0])
            adapted.append(found[0][1])
        converters = tuple(
            (column, tuple(functions), expression)
            for column, (functions, expression) in compiler.get_converters(
                [column for column, _, _ in compiler.select]
            ).items()
        )
        compiled = _Compiled(sql, tuple(params), tuple(positions), tuple(adapted), converters)
        self._compiled[alias] = compiled
        return compiled


def page_at_url_path(model):
    """The page of `model` at a URL path: `.first(slug, depth, url_path)`. Wagtail keeps
    url_path in step with the tree, a slug is unique among its siblings, and the depth keeps
    a page elsewhere in the tree out."""
    return PreparedQuery(
        model,
        lambda model, slug, depth, url_path: model.objects.filter(
            slug=slug, depth=depth, url_path=url_path
        ).order_by()[:1],
    )


class PreparedRows(PreparedQuery):
    """A prepared `values_list()` queryset: `.all(*values)` returns its rows as tuples,
    converted as the ORM converts them (datetimes aware, JSON parsed), no instance built."""

    def _check(self, query, compiler):
        if not query.values_select or query.annotations or query.extra:
            raise ValueError("prepared rows take a values_list() of columns, no annotations")

    def _built(self, alias, rows):
        return [tuple(row) for row in rows]


def _aware(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("a prepared query takes time-zone-aware datetimes only")
    return value


def _sentinel(index, value):
    if isinstance(value, bool):
        raise TypeError("a prepared query takes no boolean values (their two states compile alike)")
    if isinstance(value, int):
        return 2_000_000_000 + index  # inside every integer field's range, positive ones too
    if isinstance(value, str):
        return f"\x00prepared-value-{index}\x00"
    if isinstance(value, datetime):
        _aware(value)
        return datetime(1901, 2, 3, 4, 5, 6, index, tzinfo=UTC)  # no real row's moment
    raise TypeError(
        f"a prepared query takes str, int and datetime values, not {type(value).__name__}"
    )
