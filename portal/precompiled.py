"""Queries compiled to SQL once per process, for the pages read most often.

Django compiles a queryset into SQL every time it is evaluated. For the home page's lists
(a UNION of a dozen short index walks) and for an article with its neighbours, that is
1–3 ms of Python per request, several times what PostgreSQL needs to run the SQL.

A ``Precompiled`` query is built from the ORM once, with stand-ins for the values that
change from request to request (the current time, a date, an id, a slug), and compiled.
Each run puts the real values where the stand-ins were and turns the rows into model
instances as the ORM would, with their ``select_related`` objects (through Django's own
populators), or, for a ``values_list()`` query, as its rows. The SQL stays Django's own, so
it follows the models; only the compiling is saved.

On PostgreSQL the statement is also prepared on each connection the first time it runs
there, so PostgreSQL neither parses nor plans it again (planning the home page's UNION
takes longer than running it). Only these statements are prepared: Django's own cursors
bind their values on the client and are never prepared. A connection pooler in front of
PostgreSQL must then keep prepared statements (PgBouncer 1.21 and later, with
``max_prepared_statements``); the deployment here has none.

The query is compiled twice, with two different stand-ins for each value: the
parameters that differ are the places of the values, so a constant that happens to equal a
stand-in cannot be mistaken for one.

A list of values (the twenty ids of a page) is one value: the query filters with
``field__any=ids``, one parameter however many ids there are (``= ANY(array)`` on
PostgreSQL, a JSON list on SQLite), where ``__in`` would give the SQL one placeholder per id.
"""

import json
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.query import get_related_populators

# Two stand-ins per kind of value; a query's own constants are unlikely to be either.
STAND_INS = {
    "DateTimeField": (
        datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
        datetime(2002, 3, 4, 5, 6, 7, 890123, tzinfo=UTC),
    ),
    "DateField": (date(2001, 2, 3), date(2002, 3, 4)),
    "int": (1_234_567_891, 1_987_654_321),
    "str": ("precompiled-stand-in-a-7f3e", "precompiled-stand-in-b-9c1d"),
}


def _kind(field):
    kind = field.get_internal_type()
    if kind in ("DateTimeField", "DateField"):
        return kind
    if kind.endswith(("AutoField", "IntegerField")) or kind == "ForeignKey":
        return "int"
    if kind in ("CharField", "SlugField"):
        return "str"
    raise TypeError(f"no stand-in for a {kind} ({field})")


class Many:
    """A slot for a list of values of ``field``, which the query takes as ``__any``."""

    def __init__(self, field):
        self.field = field


def _array(field, values, connection):
    """``values`` as the one parameter of ``__any``."""
    values = [field.get_db_prep_value(value, connection) for value in values]
    return values if connection.vendor == "postgresql" else json.dumps(values)


class Any(Lookup):
    """``field__any=values``: the field equals one of ``values``, as ``__in`` but with the
    list as one parameter."""

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [_array(self.lhs.output_field, value, connection)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)
        # lhs and rhs are Django's column and placeholder; the ids are a parameter.
        sql = f"{lhs} IN (SELECT value FROM json_each({rhs}))"  # noqa: S608
        return sql, (*lhs_params, *rhs_params)


Field.register_lookup(Any)
ForeignObject.register_lookup(Any)  # relations take only their own lookups, not Field's


def _stand_ins(field, index):
    """The two stand-ins of the ``index``-th value, moved by ``index`` so that two values of
    one kind (the two ends of a date range) are told apart."""
    if isinstance(field, Many):
        return tuple([value] for value in _stand_ins(field.field, index))
    first, second = STAND_INS[_kind(field)]
    if isinstance(first, str):
        return first + "x" * index, second + "x" * index
    step = index if isinstance(first, int) else timedelta(days=index)
    return first + step, second + step


class PreparingCursor(psycopg.Cursor):
    """Binds values on the server and prepares the statement (see the module's text)."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


def _cursor(connection):
    if connection.vendor != "postgresql":
        return connection.cursor()
    # What connection.cursor() does, with this cursor instead of Django's client-binding one.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    cursor = PreparingCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(cursor, connection)
    return connection.make_cursor(cursor)


class _LoggedCursor(CursorDebugWrapper):
    """Logged with the values in place, as Django logs its own (which psycopg can tell it
    only for statements bound on the client)."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


def _db_value(field, value, connection):
    if isinstance(field, Many):
        return _array(field.field, value, connection)
    return field.get_db_prep_value(value, connection)


def _in_range(field, value, connection):
    if isinstance(field, Many) or _kind(field) != "int":
        return True
    target = field.target_field if field.is_relation else field
    low, high = connection.ops.integer_field_range(target.get_internal_type())
    return (low is None or value >= low) and (high is None or value <= high)


@dataclass
class _Plan:
    sql: str | None  # None: the query can match nothing (an empty IN list)
    params: tuple
    places: dict  # value name: positions in params
    model: type
    fields: slice | None  # the model's columns in a row; None: rows, not instances
    names: list  # their attnames, for Model.from_db
    annotations: dict  # attribute: position in a row
    converters: dict  # position: (converters, expression), as Django applies them
    related: list  # Django's populators of the select_related objects


class Precompiled:
    """``build(**values)`` returns a queryset of model instances; ``slots`` names each
    value and the model field it is compared with (for its database form)::

        newest = Precompiled(lambda now: Article.objects.published(now), now=published_at)
        articles = newest(now=timezone.now())

    A ``values_list()`` query gives its rows as tuples: its fields, then its annotations.
    ``Many(field)`` is the slot of a list of values (``pk__any=ids``).
    """

    def __init__(self, build, **slots):
        self.build = build
        self.slots = slots
        self._plans = {}
        self._lock = threading.Lock()

    def __call__(self, using=DEFAULT_DB_ALIAS, **values):
        plan = self._plan(using)
        if plan.sql is None:
            return []
        connection = connections[using]
        params = list(plan.params)
        for name, positions in plan.places.items():
            field = self.slots[name]
            if not _in_range(field, values[name], connection):
                return []  # as the ORM: an id no column can hold matches nothing
            value = _db_value(field, values[name], connection)
            for position in positions:
                params[position] = value
        with _cursor(connection) as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        converters = list(plan.converters.items())
        instances = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    for convert in functions:
                        row[position] = convert(row[position], expression, connection)
            if plan.fields is None:  # a values_list() query: its rows
                instances.append(tuple(row))
                continue
            instance = plan.model.from_db(using, plan.names, row[plan.fields])
            for attribute, position in plan.annotations.items():
                setattr(instance, attribute, row[position])
            for populator in plan.related:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def _plan(self, using):
        plan = self._plans.get(using)
        if plan is None:
            with self._lock:
                plan = self._plans.get(using) or self._compile(using)
                self._plans[using] = plan
        return plan

    def _compile(self, using):
        kinds = {
            name: _stand_ins(field, index) for index, (name, field) in enumerate(self.slots.items())
        }
        compiled = []
        for which in (0, 1):
            queryset = self.build(**{name: pair[which] for name, pair in kinds.items()})
            compiler = queryset.query.get_compiler(using)
            try:
                compiled.append((compiler, *compiler.as_sql()))
            except EmptyResultSet:
                return _Plan(None, (), {}, queryset.model, slice(0), [], {}, {}, [])
        (compiler, sql, params), (_, other_sql, other_params) = compiled
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError("the query's shape depends on its values; it cannot be precompiled")
        connection = connections[using]
        places = {}
        for name, (first, second) in kinds.items():
            field = self.slots[name]
            first = _db_value(field, first, connection)
            second = _db_value(field, second, connection)
            pairs = enumerate(zip(params, other_params, strict=True))
            places[name] = [i for i, (a, b) in pairs if a == first and b == second]
            if not places[name]:
                raise ValueError(f"the query does not use the value {name!r}")
        select = [column for column, _, _ in compiler.select[: compiler.col_count]]
        klass_info = compiler.klass_info
        if queryset.query.values_select:  # values_list(): its fields, then its annotations
            return _Plan(
                sql=sql,
                params=tuple(params),
                places=places,
                model=queryset.model,
                fields=None,
                names=[],
                annotations={},
                converters=compiler.get_converters(select),
                related=[],
            )
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Plan(
            sql=sql,
            params=tuple(params),
            places=places,
            model=klass_info["model"],
            fields=slice(start, end),
            names=[column.target.attname for column in select[start:end]],
            annotations=dict(compiler.annotation_col_map or {}),
            converters=compiler.get_converters(select),
            # As Django's ModelIterable fills them, from the same parts of the compiler.
            related=get_related_populators(klass_info, compiler.select, using),
        )
