"""Fewer indexes to update per imported span, and cheaper document text (PostgreSQL).

An import of 100,000 spans updated eight indexes on ``annotator_span`` per row.
Two of them earned nothing:

- ``document_id`` alone: the ``(document, annotator, start)`` index and the
  ``span_unique_per_annotator`` constraint both start with it, so lookups and
  the cascade from a deleted document use those. The same holds for
  ``annotator_suggestion.document_id`` and its ``(document, annotator)`` index.
- ``suggestion_id``: set only on spans made by accepting a suggestion, so it is
  now indexed only where it is set (the ``SET NULL`` from a deleted suggestion
  looks up non-null values only).

The foreign keys keep their constraints; only Django's automatic index goes, in
the state and by ``DROP INDEX`` (an ``AlterField`` would make SQLite rebuild the
table, which the triggers of migrations 0002 to 0005 do not survive).

Document text and its search vector are compressed with LZ4 instead of pglz
where the server has it: 10 % less server time per imported document in a
measurement of 2,000 documents of 3,000 characters (the vector is the rest), and
faster to read back. Values stored before keep pglz until rewritten.
"""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = (
    ("annotator_span_document_id_718da355", "annotator_span", "document_id"),
    ("annotator_suggestion_document_id_4275acde", "annotator_suggestion", "document_id"),
    ("annotator_span_suggestion_id_83ee36a4", "annotator_span", "suggestion_id"),
)
COMPRESSED = ("text", "search_vector")


def _compression(schema_editor, method: str) -> None:
    """Compress the columns with ``method`` where the server was built with LZ4."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    if row and row[0]:
        columns = ", ".join(
            f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in COMPRESSED
        )
        schema_editor.execute(f"ALTER TABLE annotator_document {columns}")


def forward(apps, schema_editor):
    _compression(schema_editor, "lz4")


def backward(apps, schema_editor):
    _compression(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0021_gold_relations_attributes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="span",
                    name="document",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="spans",
                        to="annotator.document",
                    ),
                ),
                migrations.AlterField(
                    model_name="span",
                    name="suggestion",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The suggestion accepted to make this span, while it exists.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="spans",
                        to="annotator.suggestion",
                    ),
                ),
                migrations.AlterField(
                    model_name="suggestion",
                    name="document",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="suggestions",
                        to="annotator.document",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for index, table, column in DROPPED
            ],
        ),
        migrations.AddIndex(
            model_name="span",
            index=models.Index(
                condition=models.Q(("suggestion__isnull", False)),
                fields=["suggestion"],
                name="span_suggestion_set",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
