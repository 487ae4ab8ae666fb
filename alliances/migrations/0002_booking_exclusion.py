"""On PostgreSQL, the database itself refuses overlapping bookings of one facility.

SQLite has no exclusion constraints; there Booking.clean() and the booking service (which
locks the facility row first) keep the rule.
"""

from django.db import migrations

CONSTRAINT = "booking_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.contrib.postgres.constraints import ExclusionConstraint
    from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
    from django.db.models import Func

    class TsTzRange(Func):
        function = "TSTZRANGE"
        output_field = DateTimeRangeField()

    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    booking = apps.get_model("alliances", "Booking")
    schema_editor.add_constraint(
        booking,
        ExclusionConstraint(
            name=CONSTRAINT,
            expressions=[
                ("facility", RangeOperators.EQUAL),
                (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
            ],
        ),
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE alliances_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("alliances", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
