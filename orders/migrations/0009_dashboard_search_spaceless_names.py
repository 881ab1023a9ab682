"""Trigram indexes behind the order list's name and kana search with spaces left out (oms/dashboard/selectors.py
without_spaces): 「山崎凛」, 「山崎 凛」 and 「山崎　凛」 all find 「山崎　凛」.

The selector compares UPPER(REPLACE(REPLACE(col, ' ', ''), '　', '')) LIKE UPPER('%term%'); these indexes hold
exactly that expression. PostgreSQL only (SQLite has no trigram indexes), built CONCURRENTLY like 0007.
"""

from django.db import migrations

from oms.migration_operations import CreateIndexesConcurrently


def _spaceless(column: str) -> str:
    return f"USING gin ((UPPER((REPLACE(REPLACE({column}, ' ', ''), '\u3000', ''))::text)) gin_trgm_ops)"


POSTGRES_INDEXES = [
    ("orders_order_buyer_name_nospace", "orders_order", _spaceless("buyer_name")),
    ("orders_order_buyer_kana_nospace", "orders_order", _spaceless("buyer_kana")),
    ("orders_shipto_name_nospace", "orders_shipto", _spaceless("name")),
    ("orders_shipto_kana_nospace", "orders_shipto", _spaceless("kana")),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0008_orderline_bought_on"),
    ]

    operations = [
        CreateIndexesConcurrently(
            common=[],
            postgres_only=POSTGRES_INDEXES,
            description="Create the order list's spaceless name search indexes (concurrently on PostgreSQL)",
        ),
    ]
