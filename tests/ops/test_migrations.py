"""Migrations run on a live database: none may hold a long lock on a table that grows with the orders.

The check reads the SQL each project migration runs on PostgreSQL (what `sqlmigrate` prints) and looks for
the statements that lock such a table for as long as it takes to scan or rewrite it: a CREATE INDEX without
CONCURRENTLY, a column type change, SET NOT NULL, a new CHECK or FOREIGN KEY constraint validated on the
spot (no NOT VALID), a new column carrying a CHECK. A table created by the same migration is empty: any of
these is fine there. Python data migrations print no SQL; each one is listed below with why it is safe.
"""

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ("oms", "orders", "inventory", "channels", "shipping", "notifications")

# Tables that grow with every order, mail, stock move or webhook: minutes to scan on a big shop.
LARGE_TABLES = {
    "orders_order",
    "orders_orderline",
    "orders_shipto",
    "orders_orderevent",
    "orders_hold",
    "inventory_stockmovement",
    "inventory_allocation",
    "notifications_outboundmail",
    "notifications_inquirythread",
    "notifications_inquirymessage",
    "shipping_shipment",
    "oms_webhookdelivery",
    "oms_webhookattempt",
    "oms_idempotencykey",
}

# Written before this check existed and before the first release, so no live shop runs them on a large
# table. Listed so the test fails when one is added, and when one of these is fixed (then take it off).
KNOWN_BEFORE_FIRST_RELEASE = {
    ("orders", "0004_merge_split_rules"): [
        "index without CONCURRENTLY on orders_order",
        "index without CONCURRENTLY on orders_order",
        "index without CONCURRENTLY on orders_order",
        "index without CONCURRENTLY on orders_order",
    ],
    ("orders", "0005_hold_suggestion_order_print_on"): ["index without CONCURRENTLY on orders_order"],
    ("orders", "0006_order_picking_batch_order_verified_at_and_more"): [
        "new column with a CHECK (full scan) on orders_orderline",
        "index without CONCURRENTLY on orders_order",
    ],
    ("shipping", "0002_pickingbatch_shipment_push_attempts_and_more"): [
        "new column with a CHECK (full scan) on shipping_shipment",
    ],
}

# Python data migrations (RunPython): no SQL to read, so each is reviewed by hand.
REVIEWED_PYTHON = {
    ("channels", "0005_channel_personal_data_retention"): "updates the channel rows, a handful per shop",
    (
        "orders",
        "0008_orderline_bought_on",
    ): "updates the lines of split orders (-bk-), a few per day of a shop",
    (
        "shipping",
        "0003_label_export",
    ): "a GIN index (PostgreSQL only) on the table the migration creates: empty",
}

CREATE_TABLE = re.compile(r'CREATE TABLE "?(\w+)"?', re.IGNORECASE)
CREATE_INDEX = re.compile(
    r'CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?"?\w+"? ON "?(\w+)"?', re.IGNORECASE
)
ALTER_TABLE = re.compile(r'ALTER TABLE "?(\w+)"? (.*)', re.IGNORECASE | re.DOTALL)
LOCKING_ALTERS = [
    (re.compile(r"ALTER COLUMN .* TYPE ", re.IGNORECASE), "column type change (rewrite)"),
    (re.compile(r"ALTER COLUMN .* SET NOT NULL", re.IGNORECASE), "SET NOT NULL (full scan)"),
    (
        re.compile(r"ADD CONSTRAINT \S+ (CHECK|FOREIGN KEY)(?!.*NOT VALID)", re.IGNORECASE | re.DOTALL),
        "constraint validated at once (full scan)",
    ),
    (re.compile(r"ADD COLUMN .* CHECK \(", re.IGNORECASE), "new column with a CHECK (full scan)"),
]


def created_tables(statements: list[str]) -> set[str]:
    return {name for sql in statements for name in CREATE_TABLE.findall(sql)}


def long_locks(statements: list[str], new_tables: set[str] = frozenset()) -> list[str]:
    """What in these statements (one migration's SQL) would lock a large table for a scan or a rewrite.
    `new_tables` are empty when the statements run, besides those the statements create."""
    created = created_tables(statements) | new_tables
    found = []
    for sql in statements:
        if index := CREATE_INDEX.search(sql):
            concurrently, table = index.groups()
            if table in LARGE_TABLES - created and not concurrently:
                found.append(f"index without CONCURRENTLY on {table}")
            continue
        if alter := ALTER_TABLE.match(sql.strip()):
            table, rest = alter.groups()
            if table not in LARGE_TABLES - created:
                continue
            found += [f"{why} on {table}" for pattern, why in LOCKING_ALTERS if pattern.search(rest)]
    return found


def _project_migrations(loader: MigrationLoader):
    return sorted(key for key in loader.disk_migrations if key[0] in PROJECT_APPS)


@pytest.fixture(scope="module")
def loader(django_db_blocker):
    with django_db_blocker.unblock():
        return MigrationLoader(connection)


@pytest.mark.postgres
def test_no_migration_locks_a_large_table_for_a_scan_or_a_rewrite(loader, on_postgres, db):
    sql = {key: loader.collect_sql([(loader.graph.nodes[key], False)]) for key in _project_migrations(loader)}
    # The initial migrations (split in two where apps refer to each other) all run on a new, empty database.
    initial = {key for key in sql if loader.disk_migrations[key].initial}
    empty_at_install = {table for key in initial for table in created_tables(sql[key])}
    found = {}
    for key, statements in sql.items():
        if locks := long_locks(statements, empty_at_install if key in initial else set()):
            found[key] = sorted(locks)
    known = {key: sorted(locks) for key, locks in KNOWN_BEFORE_FIRST_RELEASE.items()}

    assert found == known


def test_python_data_migrations_are_the_reviewed_ones(loader):
    from django.db.migrations.operations.special import RunPython

    python = {
        key
        for key in _project_migrations(loader)
        if any(isinstance(op, RunPython) for op in loader.disk_migrations[key].operations)
    }

    assert python == set(REVIEWED_PYTHON)


def test_the_check_finds_what_it_looks_for():
    statements = [
        'CREATE TABLE "orders_new" ("id" bigint);',
        'CREATE INDEX "a" ON "orders_new" ("id");',  # a new, empty table: fine
        'CREATE INDEX CONCURRENTLY "b" ON "orders_order" ("x");',
        'CREATE INDEX "c" ON "orders_order" ("x");',
        'CREATE UNIQUE INDEX "d" ON "orders_orderline" ("x");',
        'ALTER TABLE "orders_order" ALTER COLUMN "x" TYPE bigint USING "x"::bigint;',
        'ALTER TABLE "orders_order" ALTER COLUMN "x" SET NOT NULL;',
        'ALTER TABLE "orders_order" ADD CONSTRAINT "e" CHECK ("x" >= 0);',
        'ALTER TABLE "orders_order" ADD CONSTRAINT "f" CHECK ("x" >= 0) NOT VALID;',
        'ALTER TABLE "orders_order" ADD COLUMN "y" integer NULL;',
        'ALTER TABLE "channels_channel" ALTER COLUMN "x" TYPE bigint;',  # a small table
    ]

    assert long_locks(statements, new_tables={"orders_orderline"}) == [
        "index without CONCURRENTLY on orders_order",
        "column type change (rewrite) on orders_order",
        "SET NOT NULL (full scan) on orders_order",
        "constraint validated at once (full scan) on orders_order",
    ]
    assert long_locks(statements) == [
        "index without CONCURRENTLY on orders_order",
        "index without CONCURRENTLY on orders_orderline",
        "column type change (rewrite) on orders_order",
        "SET NOT NULL (full scan) on orders_order",
        "constraint validated at once (full scan) on orders_order",
    ]


@pytest.mark.postgres
def test_the_search_indexes_are_built_concurrently_and_valid(loader, on_postgres, db):
    migration = loader.disk_migrations[("orders", "0007_dashboard_search_indexes")]
    statements = loader.collect_sql([(migration, False)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname LIKE 'orders_%%' AND (c.relname LIKE '%%_trgm' OR c.relname LIKE '%%_digits' "
            "OR c.relname = 'orders_order_channel_ordered')"
        )
        indexes = dict(cursor.fetchall())

    assert not migration.atomic
    creates = [sql for sql in statements if sql.startswith("CREATE INDEX")]
    assert len(creates) == 9 and all(sql.startswith("CREATE INDEX CONCURRENTLY") for sql in creates)
    assert len(indexes) == 9 and all(indexes.values())  # built by the test database's migrate, all valid


@pytest.mark.slow
def test_the_migrations_run_on_sqlite_with_plain_indexes(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "OMS_VAR_DIR": str(tmp_path), "SECRET_KEY": "migration-test"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "orders", "-v0"], cwd=ROOT, env=env, check=True, timeout=180
    )
    database = next(tmp_path.glob("*.sqlite3"))
    with sqlite3.connect(database) as db:
        indexes = {row[1] for row in db.execute("PRAGMA index_list(orders_order)")}

    assert "orders_order_channel_ordered" in indexes
    assert not any(name.endswith("_trgm") for name in indexes)  # PostgreSQL only


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # CREATE INDEX CONCURRENTLY refuses to run in a transaction
def test_an_index_left_invalid_by_an_interrupted_build_is_built_again(loader, on_postgres):
    def valid() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_order_buyer_name_trgm'::regclass"
            )
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:  # what a cancelled CREATE INDEX CONCURRENTLY leaves behind
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'orders_order_buyer_name_trgm'::regclass"
        )
    assert not valid()
    operation = loader.disk_migrations[("orders", "0007_dashboard_search_indexes")].operations[-1]

    with connection.schema_editor(atomic=False) as editor:  # `migrate` running the migration again
        operation.database_forwards("orders", editor, None, None)

    assert valid()
