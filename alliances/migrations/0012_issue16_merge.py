"""Issue 16's four parts were built side by side, each on 0010: one merge, no operations."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0011_evaluation_criteria"),
        ("alliances", "0011_feedback_reviews_reference_showcase"),
        ("alliances", "0011_records_trusted"),
        ("alliances", "0011_selfservice_public_secretary_booking_alliance"),
    ]

    operations = []
