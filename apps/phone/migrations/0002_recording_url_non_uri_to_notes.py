"""Calls whose recording_url is not an absolute http(s) URI (RFC 3986) — the API's URLField
once took IRIs and characters such as `ä`, `<` or `|` — keep the value in their notes and
an empty recording_url, so GET /api/v1/calls/ never answers a value its schema calls a
`format: uri`. Nothing is lost: the text is in the notes, as the agent reads it."""

from django.db import migrations

BATCH = 500


def move_non_uris_to_notes(apps, schema_editor):
    from apps.api.fields import is_http_uri

    Call = apps.get_model("phone", "Call")
    moved = []
    for call in (
        Call.objects.exclude(recording_url="")
        .only("pk", "recording_url", "notes")
        .order_by("pk")
        .iterator(chunk_size=BATCH)
    ):
        if is_http_uri(call.recording_url):
            continue
        line = f"Recording (not a valid URL, moved here from recording_url): {call.recording_url}"
        call.notes = f"{call.notes}\n\n{line}" if call.notes else line
        call.recording_url = ""
        moved.append(call)
        if len(moved) == BATCH:
            Call.objects.bulk_update(moved, ["notes", "recording_url"])
            moved = []
    if moved:
        Call.objects.bulk_update(moved, ["notes", "recording_url"])


class Migration(migrations.Migration):
    dependencies = [("phone", "0001_phone_calls")]

    operations = [
        migrations.RunPython(move_non_uris_to_notes, migrations.RunPython.noop, elidable=True),
    ]
