"""Migration operations the apps share.

CreateIndexesConcurrently: the orders' tables are the largest a shop has, and a plain CREATE INDEX blocks
every write to them (every import, every status change) until it is done; tests/ops/test_migrations.py
refuses one. Each index is (name, table, definition), `common` ones on every database, `postgres_only` ones
(expression and operator-class indexes) only there.
"""

from django.db.migrations.operations.base import Operation


class CreateIndexesConcurrently(Operation):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, a plain CREATE INDEX elsewhere (SQLite has no concurrent
    writers to block). Its SQL shows in `sqlmigrate`, so tests/ops/test_migrations.py can check it.

    Use in a migration with `atomic = False`: PostgreSQL refuses CONCURRENTLY inside a transaction."""

    reduces_to_sql = True
    reversible = True
    atomic = False

    def __init__(self, *, common, postgres_only, description="Create indexes (concurrently on PostgreSQL)"):
        self.common, self.postgres_only, self.description = common, postgres_only, description

    def deconstruct(self):
        kwargs = {"common": self.common, "postgres_only": self.postgres_only, "description": self.description}
        return (self.__class__.__qualname__, [], kwargs)

    def state_forwards(self, app_label, state):
        pass  # not in the models' state

    def _indexes(self, schema_editor):
        postgres = schema_editor.connection.vendor == "postgresql"
        return self.common + (self.postgres_only if postgres else []), postgres

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        indexes, postgres = self._indexes(schema_editor)
        if postgres:
            self._drop_invalid(schema_editor, [name for name, _table, _definition in indexes])
        concurrently = "CONCURRENTLY " if postgres else ""
        for name, table, definition in indexes:
            schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} {definition}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        indexes, postgres = self._indexes(schema_editor)
        concurrently = "CONCURRENTLY " if postgres else ""
        for name, _table, _definition in indexes:
            schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")

    @staticmethod
    def _drop_invalid(schema_editor, names):
        """A concurrent build that was interrupted leaves an INVALID index behind, which IF NOT EXISTS would
        keep for good: drop those so they are built again."""
        if schema_editor.collect_sql:  # sqlmigrate: show the statements, touch nothing
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE NOT i.indisvalid AND c.relname = ANY(%s)",
                [names],
            )
            invalid = [row[0] for row in cursor.fetchall()]
        for name in invalid:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")

    def describe(self):
        return self.description


class RunSQLPerVendor(Operation):
    """Statements written for each database (triggers and functions differ between PostgreSQL and SQLite);
    nothing runs on a database without its own list. Its SQL shows in `sqlmigrate`."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, *, forwards: dict, backwards: dict, description="Run SQL written for each database"):
        self.forwards, self.backwards, self.description = forwards, backwards, description

    def deconstruct(self):
        kwargs = {"forwards": self.forwards, "backwards": self.backwards, "description": self.description}
        return (self.__class__.__qualname__, [], kwargs)

    def state_forwards(self, app_label, state):
        pass  # not in the models' state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.forwards.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.backwards.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def describe(self):
        return self.description
