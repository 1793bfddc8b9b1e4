"""The SLA summary's daily rollups (apps/sla/rollups.py) and the business times' buckets.

The buckets of the metrics already stored are filled set-based (one UPDATE; the bucket
function of apps/sla/rollups.py frozen here as SQL) before their indexes are built. No day
is built here: the summary reads unbuilt days from the rows until beat's build (or
`manage.py sla_rollups`) has built them.
"""

import django.db.models.deletion
from django.db import migrations, models


def _bucket_sql(column):
    branches = [f"WHEN {column} < 32 THEN {column}"]
    for shift in range(1, 27):
        branches.append(
            f"WHEN {column} < {1 << (shift + 5)} THEN {16 * shift} + ({column} >> {shift})"
        )
    return f"(CASE WHEN {column} IS NULL THEN NULL {' '.join(branches)} END)"


BACKFILL = (
    "UPDATE sla_casemetrics SET "
    f"first_response_bucket = {_bucket_sql('first_response_business_seconds')}, "
    f"resolution_bucket = {_bucket_sql('resolution_business_seconds')} "
    "WHERE first_response_business_seconds IS NOT NULL "
    "OR resolution_business_seconds IS NOT NULL"
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0009_saved_view"),
        ("sla", "0004_summary_case_copies"),
    ]

    operations = [
        migrations.CreateModel(
            name="SlaRollupCell",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("email", "Email"),
                            ("chat", "Chat"),
                            ("phone", "Phone"),
                            ("social", "Social"),
                            ("web", "Web"),
                            ("api", "API"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "priority",
                    models.CharField(
                        choices=[
                            ("low", "Low"),
                            ("normal", "Normal"),
                            ("high", "High"),
                            ("urgent", "Urgent"),
                        ],
                        max_length=10,
                    ),
                ),
                ("first_response_met", models.PositiveIntegerField(default=0)),
                ("first_response_breached", models.PositiveIntegerField(default=0)),
                ("next_response_met", models.PositiveIntegerField(default=0)),
                ("next_response_breached", models.PositiveIntegerField(default=0)),
                ("resolution_met", models.PositiveIntegerField(default=0)),
                ("resolution_breached", models.PositiveIntegerField(default=0)),
                ("final", models.PositiveIntegerField(default=0)),
                ("final_fcr", models.PositiveIntegerField(default=0)),
                ("provisional", models.PositiveIntegerField(default=0)),
                ("provisional_fcr", models.PositiveIntegerField(default=0)),
                ("judged", models.PositiveIntegerField(default=0)),
                ("one_touch", models.PositiveIntegerField(default=0)),
                ("no_follow_up", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="SlaRollupDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("start", models.DateTimeField(unique=True)),
                ("end", models.DateTimeField()),
                ("built_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["start"],
            },
        ),
        migrations.CreateModel(
            name="SlaRollupHistogram",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "figure",
                    models.CharField(
                        choices=[
                            ("first_response", "First response"),
                            ("resolution", "Resolution"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "grouping",
                    models.CharField(
                        choices=[
                            ("all", "All cases"),
                            ("team", "Per team"),
                            ("channel_priority", "Per channel and priority"),
                        ],
                        max_length=20,
                    ),
                ),
                ("channel", models.CharField(blank=True, max_length=10)),
                ("priority", models.CharField(blank=True, max_length=10)),
                ("bucket", models.PositiveSmallIntegerField()),
                ("count", models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="SlaRollupMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start", models.DateTimeField()),
                ("end", models.DateTimeField()),
            ],
        ),
        migrations.RemoveIndex(
            model_name="casemetrics",
            name="case_metrics_opened_idx",
        ),
        migrations.RemoveIndex(
            model_name="casemetrics",
            name="case_metrics_team_opened_idx",
        ),
        migrations.RemoveIndex(
            model_name="casemetrics",
            name="case_metrics_chan_opened_idx",
        ),
        migrations.RemoveIndex(
            model_name="casemetrics",
            name="case_metrics_solved_idx",
        ),
        migrations.RemoveIndex(
            model_name="casemetrics",
            name="case_metrics_team_solved_idx",
        ),
        migrations.RemoveIndex(
            model_name="casemetrics",
            name="case_metrics_chan_solved_idx",
        ),
        migrations.AddField(
            model_name="casemetrics",
            name="first_response_bucket",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="casemetrics",
            name="resolution_bucket",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("first_response_business_seconds__isnull", False)),
                fields=["opened_at"],
                include=(
                    "first_response_business_seconds",
                    "first_response_bucket",
                    "team",
                    "channel",
                    "priority",
                ),
                name="case_metrics_opened_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("first_response_business_seconds__isnull", False)),
                fields=["team", "opened_at"],
                include=(
                    "first_response_business_seconds",
                    "first_response_bucket",
                    "channel",
                    "priority",
                ),
                name="case_metrics_team_opened_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("first_response_business_seconds__isnull", False)),
                fields=["channel", "priority", "opened_at"],
                include=("first_response_business_seconds", "first_response_bucket", "team"),
                name="case_metrics_chan_opened_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("solved_at__isnull", False)),
                fields=["solved_at"],
                include=(
                    "resolution_business_seconds",
                    "resolution_bucket",
                    "fcr",
                    "fcr_state",
                    "one_touch",
                    "no_customer_follow_up",
                    "team",
                    "channel",
                    "priority",
                ),
                name="case_metrics_solved_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("solved_at__isnull", False)),
                fields=["team", "solved_at"],
                include=(
                    "resolution_business_seconds",
                    "resolution_bucket",
                    "fcr",
                    "fcr_state",
                    "one_touch",
                    "no_customer_follow_up",
                    "channel",
                    "priority",
                ),
                name="case_metrics_team_solved_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("solved_at__isnull", False)),
                fields=["channel", "priority", "solved_at"],
                include=(
                    "resolution_business_seconds",
                    "resolution_bucket",
                    "fcr",
                    "fcr_state",
                    "one_touch",
                    "no_customer_follow_up",
                    "team",
                ),
                name="case_metrics_chan_solved_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("first_response_business_seconds__isnull", False)),
                fields=["first_response_bucket", "opened_at"],
                include=("first_response_business_seconds", "team", "channel", "priority"),
                name="case_metrics_fr_bucket_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(
                    ("solved_at__isnull", False), ("resolution_business_seconds__isnull", False)
                ),
                fields=["resolution_bucket", "solved_at"],
                include=("resolution_business_seconds", "team", "channel", "priority"),
                name="case_metrics_res_bucket_idx",
            ),
        ),
        migrations.AddField(
            model_name="slarollupcell",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.team",
            ),
        ),
        migrations.AddIndex(
            model_name="slarollupday",
            index=models.Index(fields=["end"], name="sla_rollup_day_end_idx"),
        ),
        migrations.AddField(
            model_name="slarollupcell",
            name="day",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="cells",
                to="sla.slarollupday",
            ),
        ),
        migrations.AddField(
            model_name="slarolluphistogram",
            name="day",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sla.slarollupday"
            ),
        ),
        migrations.AddField(
            model_name="slarolluphistogram",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.team",
            ),
        ),
        migrations.AddIndex(
            model_name="slarollupmark",
            index=models.Index(fields=["start", "end"], name="sla_rollup_mark_idx"),
        ),
        migrations.AddIndex(
            model_name="slarollupcell",
            index=models.Index(fields=["day"], name="sla_rollup_cell_day_idx"),
        ),
        migrations.AddIndex(
            model_name="slarolluphistogram",
            index=models.Index(
                fields=["figure", "grouping", "team", "channel", "priority", "day"],
                include=("bucket", "count"),
                name="sla_rollup_histogram_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slarolluphistogram",
            index=models.Index(fields=["day"], name="sla_rollup_histogram_day_idx"),
        ),
    ]
