"""Queries compiled once per process (``PreparedQuery``).

A page's first render runs a handful of small queries, and the ORM spends several times longer
turning each queryset into SQL than the database spends answering it. A ``PreparedQuery`` keeps
the ORM's definition of a query, compiles it once per process and runs that SQL again with the
request's values, through the ORM's own row handling (model instances, select_related, only,
prefetch_related all as usual).

It lives apart from ``patients.caching`` so that the access gate, the session store and the
sign-in backend (which ``caching`` itself depends on) can use it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

_SENTINEL_BASE = 1_987_654_000
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_UTC = dt.UTC
# Values refused for a kind although isinstance accepts them.
_NOT = {int: bool, str: (), dt.date: dt.datetime, dt.datetime: ()}


def _sentinel(kind: type, index: int, round_: int) -> object:
    """A value of ``kind`` that no real query uses, distinct per parameter and compilation."""
    n = index + 50 * round_
    if kind is int:
        return _SENTINEL_BASE + n
    if kind is str:
        return f"\x00prepared-{n}"
    if kind is dt.datetime:
        return dt.datetime(1901, 1, 1, 0, 0, 0, 1 + n, tzinfo=_UTC)
    if kind is dt.date:
        return dt.date(1901, 1, 1) + dt.timedelta(days=n)
    raise TypeError(f"a prepared query takes int, str, date or datetime values, not {kind}")


def _adapter(kind: type, connection) -> Callable[[object], object]:
    if kind is dt.datetime:
        return connection.ops.adapt_datetimefield_value
    if kind is dt.date:
        return connection.ops.adapt_datefield_value
    return lambda value: value


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: SQLCompiler
    sql: str
    params: tuple
    slots: tuple[tuple[str, type, tuple[int, ...]], ...]  # (name, kind, positions in params)


class PreparedQuery:
    """A queryset whose SQL is compiled once per process and database, then run with new values.

    ``build`` makes the queryset from keyword values (filters, slices: everything but the values
    is fixed); ``kinds`` names the type of each value (int, str, date or aware datetime; pass a
    related object's pk, not the object). Calling it returns the rows as a list::

        recent = PreparedQuery(
            lambda patient, since: Measure.objects.filter(patient=patient, measured_at__gte=since),
            patient=int, since=dt.datetime,
        )
        rows = recent(patient=patient.pk, since=week_ago)

    The query is compiled twice, with different stand-in values and in another time zone, and
    refused (``ImproperlyConfigured``) unless only the stand-ins differ: a query whose SQL depends
    on a value (``None`` as IS NULL, a list's length) or on the active time zone cannot be reused.
    """

    def __init__(self, build: Callable[..., QuerySet], **kinds: type) -> None:
        for kind in kinds.values():
            _sentinel(kind, 0, 0)  # refuses a type it cannot stand in for
        self._build = build
        self._kinds = kinds
        self._compiled: dict[str, _Compiled] = {}

    def _compile_once(self, using: str, round_: int):
        values = {
            name: _sentinel(kind, index, round_)
            for index, (name, kind) in enumerate(self._kinds.items())
        }
        queryset = self._build(**values)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        return values, queryset, compiler, sql, tuple(params)

    def _compile(self, using: str) -> _Compiled:
        connection = connections[using]
        values, queryset, compiler, sql, params = self._compile_once(using, 0)
        with timezone.override("Pacific/Kiritimati"):
            other_values, _q, _c, other_sql, other_params = self._compile_once(using, 1)
        slots, seen = [], set()
        for name, kind in self._kinds.items():
            adapt = _adapter(kind, connection)
            stand_in, other = adapt(values[name]), adapt(other_values[name])
            positions = tuple(i for i, p in enumerate(params) if p == stand_in)
            other_positions = tuple(i for i, p in enumerate(other_params) if p == other)
            if not positions or positions != other_positions:
                raise ImproperlyConfigured(f"prepared query: {name!r} is not a plain parameter")
            slots.append((name, kind, positions))
            seen.update(positions)
        fixed = [p for i, p in enumerate(params) if i not in seen]
        other_fixed = [p for i, p in enumerate(other_params) if i not in seen]
        if sql != other_sql or len(params) != len(other_params) or fixed != other_fixed:
            raise ImproperlyConfigured("prepared query: its SQL depends on the values or zone")
        compiled = _Compiled(queryset, compiler, sql, params, tuple(slots))
        self._compiled[using] = compiled
        return compiled

    def params(self, values: dict, using: str = DEFAULT_DB_ALIAS) -> tuple[_Compiled, list]:
        """The compiled query and its parameters for ``values``, each checked for its kind: bool
        is not an int here, nor a datetime a date, nor None anything (it would be IS NULL)."""
        compiled = self._compiled.get(using) or self._compile(using)
        if values.keys() != self._kinds.keys():
            raise TypeError(f"prepared query takes {sorted(self._kinds)}, not {sorted(values)}")
        connection = connections[using]
        params = list(compiled.params)
        for name, kind, positions in compiled.slots:
            value = values[name]
            if not isinstance(value, kind) or isinstance(value, _NOT[kind]):
                raise TypeError(f"prepared query: {name!r} must be {kind.__name__}")
            if kind is dt.datetime and timezone.is_naive(value):
                raise ValueError(f"prepared query: {name!r} must be an aware datetime")
            if kind is int and not _INT_MIN <= value <= _INT_MAX:
                # SQLite would fail (OverflowError) where PostgreSQL finds nothing: the same
                # answer on both, and callers that take ids from outside check the range.
                raise ValueError(f"prepared query: {name!r} is out of the 64-bit range")
            adapted = _adapter(kind, connection)(value)
            for position in positions:
                params[position] = adapted
        return compiled, params

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> list:
        compiled, params = self.params(values, using)
        connection = connections[using]
        # The ORM's own iteration, handed a compiler that already holds the query's columns and
        # answers with the stored SQL (a copy: the stored one stays untouched, and the copy
        # talks to this thread's connection).
        runner = copy.copy(compiled.compiler)
        runner.connection = connection
        runner.as_sql = lambda *args, **kwargs: (compiled.sql, tuple(params))
        runner.get_converters = lambda expressions: _converters(compiled, runner, expressions)
        queryset = compiled.queryset._chain()
        queryset.query.get_compiler = lambda *args, **kwargs: runner
        return list(queryset)


# The row converters of each compiled query, kept on the connection they were made for: the ORM
# asks every backend and field for them on each run (a tenth of a small query's time), and they
# never change for a query's columns. On the connection, not in a table keyed by it: SQLite's
# converters are bound to the connection, so such a table would keep every thread's connection
# alive.
_CONVERTERS = "_prepared_query_converters"


def _converters(compiled: _Compiled, runner: SQLCompiler, expressions: list) -> dict:
    """The converters of ``expressions`` on the runner's connection, kept for the next run."""
    kept_here = runner.connection.__dict__.setdefault(_CONVERTERS, {})
    key = tuple(map(id, expressions))
    # The compiled query is kept with its converters, so that its id is never another's.
    kept = kept_here.get(id(compiled))
    if kept is None or kept[0] is not compiled or kept[1] != key:
        converters = SQLCompiler.get_converters(runner, expressions)
        kept = kept_here[id(compiled)] = (compiled, key, converters)
    return kept[2]
