"""Backup and restore (docs/operations.md): `backup_database` dumps a seeded database with pg_dump -Fc,
`restore_database` restores it into a new database, and every table comes back with every row; the embedded
SQLite file makes the same round trip."""

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
        [sys.executable, "manage.py", "backup_database", "--out", str(tmp_path / "oms.dump")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dumped.returncode == 0, dumped.stderr
    restored = subprocess.run(
        [sys.executable, "manage.py", "restore_database", str(tmp_path / "oms.dump"), target],
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
        [sys.executable, "manage.py", "backup_database", "--out", str(dump)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"])},
        check=True,
        capture_output=True,
        timeout=300,
    )

    again = subprocess.run(
        [sys.executable, "manage.py", "restore_database", str(dump), _url(connection.settings_dict["NAME"])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert again.returncode == 1 and "restore into an empty database" in again.stderr


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_embedded_sqlite_file_backs_up_while_open_and_restores_into_a_new_file(tmp_path):
    """make run's default database: SQLite's online backup copies it while another connection holds it open
    with a write half done, and the copy has every committed row and none of the uncommitted."""
    import sqlite3

    live = tmp_path / "oms.sqlite3"
    with sqlite3.connect(live) as db:
        db.execute("create table orders (id integer primary key, buyer text)")
        db.executemany("insert into orders (buyer) values (?)", [(f"顧客 {n}号",) for n in range(500)])
    writer = sqlite3.connect(live)
    writer.execute("begin")
    writer.execute("insert into orders (buyer) values ('未確定')")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SQLITE_PATH": str(live), "OMS_VAR_DIR": str(tmp_path)}

    dumped = _manage("backup_database", "--out", str(tmp_path / "copy.sqlite3"), env=env)
    writer.rollback()
    writer.close()
    restored = _manage(
        "restore_database", str(tmp_path / "copy.sqlite3"), f"sqlite:///{tmp_path}/new.sqlite3", env=env
    )
    again = _manage("restore_database", str(tmp_path / "copy.sqlite3"), f"sqlite:///{live}", env=env)

    assert dumped.returncode == 0, dumped.stderr
    assert dumped.stdout.strip() == str(tmp_path / "copy.sqlite3")
    assert restored.returncode == 0, restored.stderr
    with sqlite3.connect(tmp_path / "new.sqlite3") as db:
        assert db.execute("select count(*), min(buyer) from orders").fetchone() == (500, "顧客 0号")
    assert again.returncode == 1 and "already holds a database" in again.stderr


def test_a_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "yesterday.dump"
    existing.write_bytes(b"keep me")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SQLITE_PATH": str(tmp_path / "oms.sqlite3"), "OMS_VAR_DIR": str(tmp_path)}

    done = _manage("backup_database", "--out", str(existing), env=env)

    assert done.returncode == 1 and "exists; choose a new file name" in done.stderr
    assert existing.read_bytes() == b"keep me"


def test_restoring_a_file_that_is_no_sqlite_backup_is_refused_and_writes_nothing(tmp_path):
    (tmp_path / "oms.dump").write_bytes(b"PGDMP not an sqlite file" * 100)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"OMS_VAR_DIR": str(tmp_path)}

    done = _manage(
        "restore_database", str(tmp_path / "oms.dump"), f"sqlite:///{tmp_path}/new.sqlite3", env=env
    )

    assert done.returncode == 1 and "is not an SQLite backup" in done.stderr
    assert not (tmp_path / "new.sqlite3").exists()
