"""The case's opening, team, channel and priority copied onto its metrics and clocks.

The SLA summary filtered on them through a join to cases_case (a hash join of sequential
scans over a million cases); with copies, each of its figures is an index range of one
table. Existing rows are filled set-based, one UPDATE … FROM a table (SQLite ≥ 3.33 too),
before the summary's indexes are built; the recompute keeps them current from then on.
"""

import django.db.models.deletion
from django.db import migrations, models

SOLVED_FIGURES = (
    "resolution_business_seconds",
    "fcr",
    "fcr_state",
    "one_touch",
    "no_customer_follow_up",
)
VERDICT = models.Q(("state__in", ["met", "breached"]))
RESPONDED = models.Q(("first_response_business_seconds__isnull", False))
SOLVED = models.Q(("solved_at__isnull", False))

BACKFILL_METRICS = """
UPDATE sla_casemetrics
SET opened_at = c.created_at, team_id = c.team_id, channel = c.channel, priority = c.priority
FROM cases_case AS c
WHERE c.id = sla_casemetrics.case_id
"""
BACKFILL_CLOCKS = """
UPDATE sla_slaclock
SET team_id = c.team_id, channel = c.channel, priority = c.priority
FROM cases_case AS c
WHERE c.id = sla_slaclock.case_id
"""


def team(**extra):
    return models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to="accounts.team",
        **extra,
    )


def choice(choices):
    return models.CharField(choices=choices, default="", max_length=10)


CHANNELS = [
    ("email", "Email"),
    ("chat", "Chat"),
    ("phone", "Phone"),
    ("social", "Social"),
    ("web", "Web"),
    ("api", "API"),
]
PRIORITIES = [("low", "Low"), ("normal", "Normal"), ("high", "High"), ("urgent", "Urgent")]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0006_case_sla_next_breach_and_dirty"),
        ("sla", "0003_summary_covering_indexes"),
    ]

    operations = [
        # The summary's indexes go first: the backfill need not keep them.
        migrations.RemoveIndex(model_name="casemetrics", name="case_metrics_solved_idx"),
        migrations.RemoveIndex(model_name="slaclock", name="sla_clock_verdict_idx"),
        migrations.AddField(
            model_name="casemetrics",
            name="opened_at",
            field=models.DateTimeField(help_text="The case's created_at", null=True),
        ),
        migrations.AddField(model_name="casemetrics", name="team", field=team()),
        migrations.AddField(
            model_name="casemetrics",
            name="channel",
            field=choice(CHANNELS),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="casemetrics",
            name="priority",
            field=choice(PRIORITIES),
            preserve_default=False,
        ),
        migrations.AddField(model_name="slaclock", name="team", field=team()),
        migrations.AddField(
            model_name="slaclock",
            name="channel",
            field=choice(CHANNELS),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="slaclock",
            name="priority",
            field=choice(PRIORITIES),
            preserve_default=False,
        ),
        migrations.RunSQL(BACKFILL_METRICS, migrations.RunSQL.noop, elidable=False),
        migrations.RunSQL(BACKFILL_CLOCKS, migrations.RunSQL.noop, elidable=False),
        migrations.AlterField(
            model_name="casemetrics",
            name="opened_at",
            field=models.DateTimeField(help_text="The case's created_at"),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=RESPONDED,
                fields=["opened_at"],
                include=("first_response_business_seconds", "team", "channel", "priority"),
                name="case_metrics_opened_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=RESPONDED,
                fields=["team", "opened_at"],
                include=("first_response_business_seconds", "channel", "priority"),
                name="case_metrics_team_opened_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=RESPONDED,
                fields=["channel", "priority", "opened_at"],
                include=("first_response_business_seconds", "team"),
                name="case_metrics_chan_opened_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=SOLVED,
                fields=["solved_at"],
                include=(*SOLVED_FIGURES, "team", "channel", "priority"),
                name="case_metrics_solved_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=SOLVED,
                fields=["team", "solved_at"],
                include=(*SOLVED_FIGURES, "channel", "priority"),
                name="case_metrics_team_solved_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casemetrics",
            index=models.Index(
                condition=SOLVED,
                fields=["channel", "priority", "solved_at"],
                include=(*SOLVED_FIGURES, "team"),
                name="case_metrics_chan_solved_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                condition=VERDICT,
                fields=["metric", "started_at"],
                include=("state", "team", "channel", "priority"),
                name="sla_clock_verdict_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                condition=VERDICT,
                fields=["team", "metric", "started_at"],
                include=("state", "channel", "priority"),
                name="sla_clock_team_verdict_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                condition=VERDICT,
                fields=["channel", "priority", "metric", "started_at"],
                include=("state", "team"),
                name="sla_clock_chan_verdict_idx",
            ),
        ),
    ]
