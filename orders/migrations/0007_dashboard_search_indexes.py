"""Indexes behind the dashboard's order list (oms/dashboard/selectors.py), built without blocking orders.

The search box matches order number, names, kana and e-mail with `icontains`, which PostgreSQL compiles to
`UPPER(col::text) LIKE UPPER('%term%')`: trigram GIN indexes on exactly those expressions (pg_trgm) serve
it. Phone numbers are compared without hyphens and spaces, through an expression index on the same
REPLACE() the selector uses. These are expression and operator-class indexes that only PostgreSQL has, so
they are created here by SQL and only there; on SQLite (the embedded default) the migration adds just the
plain index for the shop filter. They are not part of the models' state, so `makemigrations` stays clean.

orders_order and orders_shipto are the largest tables a shop has, and a plain CREATE INDEX blocks every
write to them (every import, every status change) until it is done. On PostgreSQL the indexes are built
CONCURRENTLY, which cannot run in a transaction: the migration is not atomic. Each statement stands alone,
so a migration stopped halfway is simply run again.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.migrations.operations.base import Operation

# (index name, table, indexed expression with its method)
POSTGRES_INDEXES = [
    ("orders_order_external_id_trgm", "orders_order", "USING gin ((UPPER(external_id::text)) gin_trgm_ops)"),
    ("orders_order_buyer_name_trgm", "orders_order", "USING gin ((UPPER(buyer_name::text)) gin_trgm_ops)"),
    ("orders_order_buyer_kana_trgm", "orders_order", "USING gin ((UPPER(buyer_kana::text)) gin_trgm_ops)"),
    ("orders_order_buyer_email_trgm", "orders_order", "USING gin ((UPPER(buyer_email::text)) gin_trgm_ops)"),
    ("orders_shipto_name_trgm", "orders_shipto", "USING gin ((UPPER(name::text)) gin_trgm_ops)"),
    ("orders_shipto_kana_trgm", "orders_shipto", "USING gin ((UPPER(kana::text)) gin_trgm_ops)"),
    ("orders_order_phone_digits", "orders_order", "((REPLACE(REPLACE(buyer_phone, '-', ''), ' ', '')))"),
    ("orders_shipto_phone_digits", "orders_shipto", "((REPLACE(REPLACE(phone, '-', ''), ' ', '')))"),
]
# Every database: the order list filtered by shop, newest first.
COMMON_INDEXES = [
    ("orders_order_channel_ordered", "orders_order", "(channel_id, ordered_at DESC)"),
]


class CreateIndexesConcurrently(Operation):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, a plain CREATE INDEX elsewhere (SQLite has no concurrent
    writers to block). Its SQL shows in `sqlmigrate`, so tests/ops/test_migrations.py can check it.

    Use in a migration with `atomic = False`: PostgreSQL refuses CONCURRENTLY inside a transaction."""

    reduces_to_sql = True
    reversible = True
    atomic = False

    def __init__(self, *, common, postgres_only):
        self.common, self.postgres_only = common, postgres_only

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"common": self.common, "postgres_only": self.postgres_only})

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
        return "Create the order list's search indexes (concurrently on PostgreSQL)"


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0006_order_picking_batch_order_verified_at_and_more"),
    ]

    operations = [
        # A no-op on databases other than PostgreSQL.
        TrigramExtension(),
        CreateIndexesConcurrently(common=COMMON_INDEXES, postgres_only=POSTGRES_INDEXES),
    ]
