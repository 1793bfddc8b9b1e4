"""The SLA summary's next-response times and calendar times (apps/sla/summary.py).

Expand, backfill, then index: the calendar buckets of the stored metrics are filled by one
UPDATE (the bucket function of apps/sla/rollups.py frozen here as SQL, as in 0005); each
stored next response (`CaseMetrics.next_responses`) becomes an SlaNextResponse row, in
batches; the built rollup days are dropped, their histograms lacking the new figures (the
summary reads unbuilt days from the rows until beat's build, or `manage.py sla_rollups`,
has built them again). The indexes are built after the rows are in.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils.dateparse import parse_datetime

BATCH = 2000


def _bucket_sql(column):
    branches = [f"WHEN {column} < 32 THEN {column}"]
    for shift in range(1, 27):
        branches.append(
            f"WHEN {column} < {1 << (shift + 5)} THEN {16 * shift} + ({column} >> {shift})"
        )
    return f"(CASE WHEN {column} IS NULL THEN NULL {' '.join(branches)} END)"


def _bucket(value):
    if value is None:
        return None
    if value < 32:
        return value
    shift = value.bit_length() - 5
    return 16 * shift + (value >> shift)


def _instant(text):
    from datetime import UTC

    instant = parse_datetime(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def backfill(apps, schema_editor):
    CaseMetrics = apps.get_model("sla", "CaseMetrics")
    SlaNextResponse = apps.get_model("sla", "SlaNextResponse")
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(CaseMetrics._meta.db_table)} SET "
            f"first_response_calendar_bucket = {_bucket_sql('first_response_seconds')}, "
            f"resolution_calendar_bucket = {_bucket_sql('resolution_seconds')} "
            "WHERE first_response_seconds IS NOT NULL OR resolution_seconds IS NOT NULL"
        )
        for model in ("slarolluphistogram", "slarollupcell", "slarollupday"):
            table = apps.get_model("sla", model)._meta.db_table
            cursor.execute(f"DELETE FROM {quote(table)}")
    rows = (
        CaseMetrics.objects.exclude(next_responses=[])
        .order_by("pk")
        .values_list("pk", "next_responses", "team_id", "channel", "priority")
    )
    batch = []
    for case_id, responses, team_id, channel, priority in rows.iterator(chunk_size=BATCH):
        for number, r in enumerate(responses or [], start=1):
            batch.append(
                SlaNextResponse(
                    case_id=case_id,
                    instance=number,
                    started_at=_instant(r["started_at"]),
                    responded_at=_instant(r["responded_at"]),
                    seconds=r["seconds"],
                    business_seconds=r["business_seconds"],
                    calendar_bucket=_bucket(r["seconds"]),
                    business_bucket=_bucket(r["business_seconds"]),
                    team_id=team_id,
                    channel=channel,
                    priority=priority,
                )
            )
        if len(batch) >= BATCH:
            SlaNextResponse.objects.bulk_create(batch)
            batch = []
    SlaNextResponse.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_agent_capacity_and_weekly_report"),
        ("cases", "0015_interaction_reply_day_idx"),
        ("sla", "0005_summary_rollups"),
    ]

    operations = [
        migrations.CreateModel(
            name="SlaNextResponse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "instance",
                    models.PositiveSmallIntegerField(
                        help_text="1 for the case's first next response"
                    ),
                ),
                (
                    "started_at",
                    models.DateTimeField(help_text="The customer message that started the wait"),
                ),
                (
                    "responded_at",
                    models.DateTimeField(help_text="The agent response that ended it"),
                ),
                ("seconds", models.PositiveIntegerField()),
                ("business_seconds", models.PositiveIntegerField(blank=True, null=True)),
                ("calendar_bucket", models.PositiveSmallIntegerField()),
                ("business_bucket", models.PositiveSmallIntegerField(blank=True, null=True)),
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
            ],
            options={
                "ordering": ["case", "instance"],
            },
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
            name="first_response_calendar_bucket",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="casemetrics",
            name="resolution_calendar_bucket",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="slarolluphistogram",
            name="figure",
            field=models.CharField(
                choices=[
                    ("first_response", "First response"),
                    ("next_response", "Next response"),
                    ("resolution", "Resolution"),
                    ("first_response_cal", "First response (calendar time)"),
                    ("next_response_cal", "Next response (calendar time)"),
                    ("resolution_cal", "Resolution (calendar time)"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="slanextresponse",
            name="case",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="cases.case",
            ),
        ),
        migrations.AddField(
            model_name="slanextresponse",
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
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("first_response_seconds__isnull", False)),
                fields=["opened_at"],
                include=(
                    "first_response_business_seconds",
                    "first_response_bucket",
                    "first_response_seconds",
                    "first_response_calendar_bucket",
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
                condition=models.Q(("first_response_seconds__isnull", False)),
                fields=["team", "opened_at"],
                include=(
                    "first_response_business_seconds",
                    "first_response_bucket",
                    "first_response_seconds",
                    "first_response_calendar_bucket",
                    "channel",
                    "priority",
                ),
                name="case_metrics_team_opened_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(("first_response_seconds__isnull", False)),
                fields=["channel", "priority", "opened_at"],
                include=(
                    "first_response_business_seconds",
                    "first_response_bucket",
                    "first_response_seconds",
                    "first_response_calendar_bucket",
                    "team",
                ),
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
                    "resolution_seconds",
                    "resolution_calendar_bucket",
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
                    "resolution_seconds",
                    "resolution_calendar_bucket",
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
                    "resolution_seconds",
                    "resolution_calendar_bucket",
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
                condition=models.Q(("first_response_seconds__isnull", False)),
                fields=["first_response_calendar_bucket", "opened_at"],
                include=("first_response_seconds", "team", "channel", "priority"),
                name="case_metrics_fr_cal_bucket_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=models.Q(
                    ("solved_at__isnull", False), ("resolution_seconds__isnull", False)
                ),
                fields=["resolution_calendar_bucket", "solved_at"],
                include=("resolution_seconds", "team", "channel", "priority"),
                name="case_metrics_res_cal_bkt_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slanextresponse",
            index=models.Index(
                fields=["responded_at"],
                include=(
                    "seconds",
                    "calendar_bucket",
                    "business_seconds",
                    "business_bucket",
                    "team",
                    "channel",
                    "priority",
                ),
                name="sla_next_response_at_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slanextresponse",
            index=models.Index(
                fields=["team", "responded_at"],
                include=(
                    "seconds",
                    "calendar_bucket",
                    "business_seconds",
                    "business_bucket",
                    "channel",
                    "priority",
                ),
                name="sla_next_response_team_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slanextresponse",
            index=models.Index(
                fields=["channel", "priority", "responded_at"],
                include=(
                    "seconds",
                    "calendar_bucket",
                    "business_seconds",
                    "business_bucket",
                    "team",
                ),
                name="sla_next_response_chan_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slanextresponse",
            index=models.Index(
                condition=models.Q(("business_seconds__isnull", False)),
                fields=["business_bucket", "responded_at"],
                include=("business_seconds", "team", "channel", "priority"),
                name="sla_next_response_bucket_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slanextresponse",
            index=models.Index(
                fields=["calendar_bucket", "responded_at"],
                include=("seconds", "team", "channel", "priority"),
                name="sla_next_response_cal_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="slanextresponse",
            constraint=models.UniqueConstraint(
                fields=("case", "instance"), name="sla_next_response_one_per_instance"
            ),
        ),
        migrations.RemoveIndex(model_name="slarolluphistogram", name="sla_rollup_histogram_idx"),
        migrations.AddIndex(
            model_name="slarolluphistogram",
            index=models.Index(
                fields=["grouping", "team", "channel", "priority", "day"],
                include=("figure", "bucket", "count"),
                name="sla_rollup_histogram_idx",
            ),
        ),
    ]
