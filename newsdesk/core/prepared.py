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
`startswith` makes, changes the value and is refused). Compiling checks this and says what
is wrong; tests/test_prepared.py compares every field with what the ORM reads, so a Django
upgrade that changes how a query is compiled fails there, loudly (docs/development.md,
upgrade checklist).
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import connections, router


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple  # where each value goes among params
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
        compiled = self._compiled.get(alias) or self._compile(alias, values)
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        names = self._names
        instances = []
        for row in rows:
            row = list(row)
            for column, functions, expression in compiled.converters:
                for function in functions:
                    row[column] = function(row[column], expression, connection)
            instances.append(self.model.from_db(alias, names, row))
        return instances

    def first(self, *values):
        found = self.all(*values)
        return found[0] if found else None

    @property
    def _names(self):
        return [field.attname for field in self.model._meta.concrete_fields]

    def _compile(self, alias, values):
        # Each value is replaced by a sentinel of its own type, then found among the
        # compiled parameters: that is where the real value goes on every later run.
        sentinels = [_sentinel(index, value) for index, value in enumerate(values)]
        queryset = self.build(self.model, *sentinels)
        query = queryset.query
        if queryset.model is not self.model:
            raise ValueError(f"the queryset is of {queryset.model}, not {self.model}")
        if query.select_related or query.annotations or query.deferred_loading[0]:
            raise ValueError("a prepared query takes no select_related, annotations or only()")
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        selected = [column.target.attname for column, _, _ in compiler.select]
        if selected != self._names:
            raise ValueError(f"a prepared query selects the model's fields, not {selected}")
        positions = []
        for sentinel in sentinels:
            found = [n for n, param in enumerate(params) if param == sentinel]
            if len(found) != 1:
                raise ValueError(
                    f"value {sentinel!r} appears {len(found)} times among the parameters: "
                    "a prepared query compares each value exactly once"
                )
            positions.append(found[0])
        converters = tuple(
            (column, tuple(functions), expression)
            for column, (functions, expression) in compiler.get_converters(
                [column for column, _, _ in compiler.select]
            ).items()
        )
        compiled = _Compiled(sql, tuple(params), tuple(positions), converters)
        self._compiled[alias] = compiled
        return compiled


def _sentinel(index, value):
    if isinstance(value, bool):
        raise TypeError("a prepared query takes no boolean values (their two states compile alike)")
    if isinstance(value, int):
        return 2_000_000_000 + index  # inside every integer field's range, positive ones too
    if isinstance(value, str):
        return f"\x00prepared-value-{index}\x00"
    raise TypeError(f"a prepared query takes str and int values, not {type(value).__name__}")
