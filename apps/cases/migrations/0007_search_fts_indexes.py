"""Full-text search indexes (apps/cases/search.py), on PostgreSQL only.

GIN over the same expressions the search queries use — `to_tsvector('simple', subject)` and
`to_tsvector('simple', left(body_text, 100000))` — so the planner matches them. The body is
bounded because a tsvector holds at most 1 MB of lexemes: an index over the whole text would
make PostgreSQL refuse to store a long message with a large vocabulary (a pasted log), and
nothing a customer sends may be refused. SQLite gets no index (search there is a LIKE).

Built CONCURRENTLY (the migration is not atomic): at a million cases the interaction index
takes minutes to build and must not block incoming messages meanwhile.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models.functions import Left

from apps.core.db import AddIndexOnPostgresql


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0006_case_sla_next_breach_and_dirty"),
    ]

    operations = [
        AddIndexOnPostgresql(
            model_name="case",
            index=GinIndex(SearchVector("subject", config="simple"), name="case_subject_fts_idx"),
        ),
        AddIndexOnPostgresql(
            model_name="interaction",
            index=GinIndex(
                SearchVector(Left("body_text", 100_000), config="simple"),
                name="interaction_body_fts_idx",
            ),
        ),
    ]
