"""Audit events without a document, for writes that belong to the whole project (actor
aliases of the discourse network).

SQLite changes a column by copying the table into a new one, which leaves the old
table's triggers behind: the audit log's refusal of updates (migration 0004) is created
again on the new table, after the change either way. PostgreSQL alters the column in
place and keeps its triggers.
"""

from django.db import migrations, models

SQLITE_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS annotator_auditevent_append_only
BEFORE UPDATE ON annotator_auditevent
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only');
END
"""


def refuse_updates_again(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_APPEND_ONLY)


class Migration(migrations.Migration):
    dependencies = [("annotator", "0022_span_import_indexes")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, refuse_updates_again),
        migrations.AlterField(
            model_name="auditevent",
            name="document_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(refuse_updates_again, migrations.RunPython.noop),
    ]
