# The supervisor console's "replies today" (apps/console/selectors.py): public outbound
# messages by day, with their author and case in the index.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_case_event_problem_kind"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(
                condition=models.Q(("direction", "out"), ("is_public", True)),
                fields=["occurred_at"],
                include=("author_agent", "case"),
                name="interaction_reply_day_idx",
            ),
        ),
    ]
