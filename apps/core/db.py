"""Small database helpers the ORM does not offer."""

from typing import Any, cast

from django.db import connection, models
from django.db.migrations.operations.base import Operation


def insert_unless_conflict(obj: models.Model, *, unique: tuple[str, ...]) -> bool:
    """INSERT `obj` unless a row with the same `unique` fields exists; True when inserted.

    `INSERT … ON CONFLICT (unique) DO NOTHING RETURNING pk` (PostgreSQL, SQLite ≥ 3.35): a
    get-or-create that loses a race learns so from the answer instead of from an
    IntegrityError, so it needs no savepoint to recover — one statement instead of three.
    On PostgreSQL a conflicting insert still in flight is waited for, as a unique index
    always does. `unique` must be the fields of a unique constraint without a condition.
    """
    meta = obj._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    quote = connection.ops.quote_name
    conflict = [cast(models.Field, meta.get_field(name)).column for name in unique]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(quote(column) for column in conflict)}) DO NOTHING "
        f"RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


class JSONArrayAgg(models.Aggregate):
    """The aggregated values as one JSON array (in no particular order; NULL for no row):
    ``JSONB_AGG`` on PostgreSQL, ``JSON_GROUP_ARRAY`` on SQLite, the standard
    ``JSON_ARRAYAGG`` elsewhere. Read back through JSONField, it is a list: a subquery of
    one can bring a row's related values with the row instead of in a query of their own."""

    function = "JSON_ARRAYAGG"
    output_field = models.JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


class AddIndexOnPostgresql(Operation):
    """A migration operation: create `index` on PostgreSQL (CONCURRENTLY), nothing elsewhere.

    For indexes only PostgreSQL can build — GIN over `to_tsvector(…)` for full-text search —
    in a project whose embedded default is SQLite. The index is not in the model's
    `Meta.indexes` and this operation leaves the migration state alone, so `makemigrations`
    neither sees nor drops it; the migration that holds it must be `atomic = False` (an
    index built CONCURRENTLY does not block writes to a big table, but cannot run inside a
    transaction). Reversible: backwards drops it (again only on PostgreSQL).
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, index: models.Index):
        self.model_name = model_name
        self.index = index

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # invisible to the autodetector: see the docstring

    def _on_postgresql(self, schema_editor: Any) -> bool:
        return bool(schema_editor.connection.vendor == "postgresql")

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if self._on_postgresql(schema_editor):
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if self._on_postgresql(schema_editor):
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index, concurrently=True)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            f"{self.__class__.__module__}.{self.__class__.__qualname__}",
            [],
            {"model_name": self.model_name, "index": self.index},
        )

    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name} (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.index.name.lower()}"
