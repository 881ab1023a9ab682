"""Indexes behind the dashboard's order list (oms/dashboard/selectors.py).

The search box matches order number, names, kana and e-mail with `icontains`, which PostgreSQL compiles to
`UPPER(col::text) LIKE UPPER('%term%')`: trigram GIN indexes on exactly those expressions (pg_trgm) serve
it. Phone numbers are compared without hyphens and spaces, through an expression index on the same
REPLACE() the selector uses. These are expression and operator-class indexes that only PostgreSQL has, so
they are created here by SQL and only there; on SQLite (the embedded default) the migration adds just the
plain index for the shop filter. They are not part of the models' state, so `makemigrations` stays clean.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

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


def _indexes(vendor: str):
    return COMMON_INDEXES + (POSTGRES_INDEXES if vendor == "postgresql" else [])


def create_indexes(apps, schema_editor):
    for name, table, definition in _indexes(schema_editor.connection.vendor):
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")


def drop_indexes(apps, schema_editor):
    for name, _table, _definition in _indexes(schema_editor.connection.vendor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_order_picking_batch_order_verified_at_and_more"),
    ]

    operations = [
        # A no-op on databases other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
