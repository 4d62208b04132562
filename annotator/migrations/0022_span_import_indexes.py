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

The statement triggers that find a project through ``annotator_document``
(tallies of spans and assignments, the phrase index version, the check that
inserted spans fit their documents) now look each document up by its primary
key in a scalar subquery, once per document of the statement. Joined, they were
planned from the statistics of the moment: right after a large import, before
autovacuum analyses it, ``annotator_document`` looks empty, and every DELETE of a
few spans read every document of the database (0.3 s for 100 spans after an
import of 10,000 documents).
"""

import importlib

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


# The document's project, by primary key whatever the statistics say; rows whose
# document is gone in the same statement count for nothing, as with the join before.
PROJECT_OF = (
    "(SELECT document.project_id FROM annotator_document AS document "
    "WHERE document.id = grouped.document_id)"
)
UPSERT = """
    INSERT INTO annotator_projecttally (project_id, kind, key, total)
    {select}
    ON CONFLICT (project_id, kind, key)
    DO UPDATE SET total = annotator_projecttally.total + excluded.total
"""
TALLY_SELECTS = {
    "spans": """
        SELECT counted.project_id, 'spans', counted.annotator_id || ':' || counted.label_id,
               {sign}sum(counted.total)
        FROM (SELECT {project_of} AS project_id, grouped.annotator_id, grouped.label_id,
                     grouped.total
              FROM (SELECT document_id, annotator_id, label_id, count(*) AS total
                    FROM {rows} GROUP BY document_id, annotator_id, label_id) AS grouped
              OFFSET 0) AS counted
        WHERE counted.project_id IS NOT NULL
        GROUP BY counted.project_id, counted.annotator_id, counted.label_id
    """,
    "assignments": """
        SELECT counted.project_id, 'assignment_status', counted.status, {sign}sum(counted.total)
        FROM (SELECT {project_of} AS project_id, grouped.status, grouped.total
              FROM (SELECT document_id, status, count(*) AS total
                    FROM {rows} GROUP BY document_id, status) AS grouped
              OFFSET 0) AS counted
        WHERE counted.project_id IS NOT NULL
        GROUP BY counted.project_id, counted.status
    """,
}
PHRASE_BUMP = """
    INSERT INTO annotator_phraseindexversion (project_id, annotator_id, version)
    SELECT DISTINCT touched.project_id, touched.annotator_id, 1
    FROM (SELECT {project_of} AS project_id, grouped.annotator_id
          FROM (SELECT DISTINCT document_id, {annotator} AS annotator_id FROM {rows})
               AS grouped
          OFFSET 0) AS touched
    WHERE touched.project_id IS NOT NULL
    ON CONFLICT (project_id, annotator_id)
    DO UPDATE SET version = annotator_phraseindexversion.version + 1
"""
PHRASE_ANNOTATOR = {"annotator_span": "annotator_id", "annotator_goldspan": "0"}
FIT_DOCUMENTS = """
CREATE OR REPLACE FUNCTION annotator_spans_fit_documents() RETURNS trigger AS $$
DECLARE
  document bigint;
  last_end integer;
  text_length integer;
  label bigint;
BEGIN
  SELECT checked.document_id, checked.last_end, checked.text_length
    INTO document, last_end, text_length
    FROM (SELECT grouped.document_id, grouped.last_end,
                 (SELECT char_length(d.text) FROM annotator_document AS d
                   WHERE d.id = grouped.document_id) AS text_length
            FROM (SELECT document_id, max("end") AS last_end FROM new_rows GROUP BY document_id)
                 AS grouped
          OFFSET 0) AS checked
   WHERE checked.last_end > checked.text_length
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'span end % is past the end of document % (length %)',
      last_end, document, text_length USING ERRCODE = 'check_violation';
  END IF;
  SELECT pairs.label_id, pairs.document_id INTO label, document
    FROM (SELECT DISTINCT document_id, label_id FROM new_rows) AS pairs
   WHERE (SELECT l.project_id FROM annotator_label AS l WHERE l.id = pairs.label_id)
         IS DISTINCT FROM
         (SELECT d.project_id FROM annotator_document AS d WHERE d.id = pairs.document_id)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'label % is not a label of the project of document %',
      label, document USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def _function(name: str, removed: str, added: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'UPDATE') THEN {removed}; END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN {added}; END IF;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """


def _trigger_functions() -> list[str]:
    functions = []
    for name, select in TALLY_SELECTS.items():
        removed, added = (
            UPSERT.format(select=select.format(rows=rows, sign=sign, project_of=PROJECT_OF))
            for rows, sign in (("old_rows", "-"), ("new_rows", ""))
        )
        functions.append(_function(f"annotator_tally_{name}", removed, added))
    for table, annotator in PHRASE_ANNOTATOR.items():
        removed, added = (
            PHRASE_BUMP.format(rows=rows, annotator=annotator, project_of=PROJECT_OF)
            for rows in ("old_rows", "new_rows")
        )
        functions.append(_function(f"{table}_phrase_version", removed, added))
    return [*functions, FIT_DOCUMENTS]


def _earlier_trigger_functions() -> list[str]:
    """The functions as migrations 0005, 0014 and 0018 wrote them."""
    tallies = importlib.import_module("annotator.migrations.0005_project_tallies")
    phrases = importlib.import_module("annotator.migrations.0014_suggestions")
    checks = importlib.import_module("annotator.migrations.0018_span_checks_per_statement")
    functions = [tallies._postgresql_function(name) for name in TALLY_SELECTS]
    functions += [phrases._postgresql_function(table) for table in PHRASE_ANNOTATOR]
    functions.append(checks.STATEMENT_FUNCTION)
    return [
        function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        for function in functions
    ]


def forward(apps, schema_editor):
    _compression(schema_editor, "lz4")
    if schema_editor.connection.vendor == "postgresql":
        for function in _trigger_functions():
            schema_editor.execute(function, params=None)


def backward(apps, schema_editor):
    _compression(schema_editor, "default")
    if schema_editor.connection.vendor == "postgresql":
        for function in _earlier_trigger_functions():
            schema_editor.execute(function, params=None)


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
