"""Order.label_version (bumped by the triggers of shipping migration 0006).

Added by a plain ADD COLUMN with a constant default, on both databases: instant on PostgreSQL, and on SQLite it
avoids Django's rebuild of the whole table for a NOT NULL column, which would drop the indexes and triggers
made by SQL of their own (migrations 0007 to 0009).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_choice_labels_translated"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="order",
                    name="label_version",
                    field=models.BigIntegerField(default=0, editable=False),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE orders_order ADD COLUMN label_version bigint DEFAULT 0 NOT NULL",
                    reverse_sql="ALTER TABLE orders_order DROP COLUMN label_version",
                ),
            ],
        ),
    ]
