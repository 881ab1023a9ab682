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

from oms.migration_operations import CreateIndexesConcurrently

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


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0006_order_picking_batch_order_verified_at_and_more"),
    ]

    operations = [
        # A no-op on databases other than PostgreSQL.
        TrigramExtension(),
        CreateIndexesConcurrently(
            common=COMMON_INDEXES,
            postgres_only=POSTGRES_INDEXES,
            description="Create the order list's search indexes (concurrently on PostgreSQL)",
        ),
    ]
