"""Backup and restore (docs/operations.md): scripts/backup.sh dumps a seeded database with pg_dump -Fc,
scripts/restore.sh restores it into a new database, and every table comes back with every row."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from channels.models import Channel
from oms.demo import demo_seed
from tests.factories import OrderFactory, OrderLineFactory, ShipToFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _row_counts(url: str) -> dict[str, int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("select tablename from pg_tables where schemaname = 'public' order by tablename")
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'select count(*) from "{table}"')  # noqa: S608 - names from pg_tables
            counts[table] = cursor.fetchone()[0]
    conn.close()
    return counts


@pytest.fixture
def empty_database():
    name = f"oms_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def test_a_backup_restores_into_a_new_database_with_every_row(
    on_postgres, empty_database, tmp_path, monkeypatch
):
    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    demo_seed()
    shop = Channel.objects.get(kind="rakuten")
    for n in range(25):
        order = OrderFactory(channel=shop, external_id=f"100001-20261126-{n:08d}", buyer_name=f"顧客 {n}号")
        ShipToFactory(order=order)
        OrderLineFactory(order=order)
    source = _url(connection.settings_dict["NAME"])
    target = _url(empty_database)
    env = {**os.environ, "DATABASE_URL": source}

    dumped = subprocess.run(
        ["bash", "scripts/backup.sh", str(tmp_path / "oms.dump")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dumped.returncode == 0, dumped.stderr
    restored = subprocess.run(
        ["bash", "scripts/restore.sh", str(tmp_path / "oms.dump"), target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restored.returncode == 0, restored.stderr

    before, after = _row_counts(source), _row_counts(target)
    assert after == before
    assert before["orders_order"] == 25 and before["inventory_sku"] > 0 and before["channels_channel"] == 3
    migrations = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": target, "OMS_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr


def test_restore_refuses_a_database_that_is_not_empty(on_postgres, tmp_path):
    dump = tmp_path / "oms.dump"
    subprocess.run(
        ["bash", "scripts/backup.sh", str(dump)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"])},
        check=True,
        capture_output=True,
        timeout=300,
    )

    again = subprocess.run(
        ["bash", "scripts/restore.sh", str(dump), _url(connection.settings_dict["NAME"])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert again.returncode == 2 and "restore into an empty database" in again.stderr
