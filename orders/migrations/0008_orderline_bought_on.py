"""OrderLine.bought_on: the shop order a line was bought on, once a merge (同梱) or a split (分割) moved it
to another order of ours, so that its shipment is reported to the shop under that order's number.

The column is added empty (no scan), its index built concurrently on PostgreSQL (the migration is not atomic;
each step stands alone and is run again after a stop). Lines already on split orders get their shop order:
the order the split started from. Lines merged before this change cannot be told apart any more and stay
empty (they are reported under the order they are on, as before).
"""

import django.db.models.deletion
from django.db import migrations, models

from oms.migration_operations import CreateIndexesConcurrently

INDEXES = [("orders_orderline_bought_on", "orders_orderline", "(bought_on_id) WHERE bought_on_id IS NOT NULL")]


def split_lines_bought_on(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    parents = dict(Order.objects.filter(split_from__isnull=False).values_list("pk", "split_from_id"))
    for order_pk in parents:
        root = parents[order_pk]
        while root in parents:  # a split of a split part: the order the first split started from
            root = parents[root]
        OrderLine.objects.filter(order_id=order_pk, bought_on__isnull=True).update(bought_on_id=root)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("orders", "0007_dashboard_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="bought_on",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="orders.order",
                verbose_name="bought on (shop order)",
            ),
        ),
        CreateIndexesConcurrently(
            common=INDEXES, postgres_only=[], description="Index the lines moved from their shop order"
        ),
        migrations.RunPython(split_lines_bought_on, migrations.RunPython.noop, elidable=True),
    ]
