"""Invariants that span two tables, held by the database itself.

- A span ends within its document's text: ``end <= length(text)``, where both
  SQLite's ``length`` and PostgreSQL's ``char_length`` count code points, the
  unit of our offsets.
- A span's label belongs to its document's project.
- A document's text cannot change once it has spans.

Django cannot express these as constraints, and a check in Python alone would be
bypassed by ``QuerySet.update`` or a bulk insert.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER annotator_span_fits_document_insert
    BEFORE INSERT ON annotator_span
    FOR EACH ROW
    WHEN NEW."end" > (SELECT length(text) FROM annotator_document WHERE id = NEW.document_id)
      OR (SELECT project_id FROM annotator_label WHERE id = NEW.label_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'span must end within its document and use a label of its project');
    END
    """,
    """
    CREATE TRIGGER annotator_span_fits_document_update
    BEFORE UPDATE OF "end", label_id, document_id ON annotator_span
    FOR EACH ROW
    WHEN NEW."end" > (SELECT length(text) FROM annotator_document WHERE id = NEW.document_id)
      OR (SELECT project_id FROM annotator_label WHERE id = NEW.label_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'span must end within its document and use a label of its project');
    END
    """,
    """
    CREATE TRIGGER annotator_document_text_frozen
    BEFORE UPDATE OF text ON annotator_document
    FOR EACH ROW
    WHEN NEW.text IS NOT OLD.text
      AND EXISTS (SELECT 1 FROM annotator_span WHERE document_id = OLD.id)
    BEGIN
      SELECT RAISE(ABORT, 'document has spans; its text cannot change');
    END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_span_fits_document_insert",
    "DROP TRIGGER IF EXISTS annotator_span_fits_document_update",
    "DROP TRIGGER IF EXISTS annotator_document_text_frozen",
]

POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION annotator_span_fits_document() RETURNS trigger AS $$
    DECLARE
      text_length integer;
      document_project bigint;
    BEGIN
      SELECT char_length(text), project_id INTO text_length, document_project
        FROM annotator_document WHERE id = NEW.document_id;
      IF NEW."end" > text_length THEN
        RAISE EXCEPTION 'span end % is past the end of document % (length %)',
          NEW."end", NEW.document_id, text_length USING ERRCODE = 'check_violation';
      END IF;
      IF (SELECT project_id FROM annotator_label WHERE id = NEW.label_id)
         IS DISTINCT FROM document_project THEN
        RAISE EXCEPTION 'label % is not a label of the project of document %',
          NEW.label_id, NEW.document_id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_span_fits_document
    BEFORE INSERT OR UPDATE OF "end", label_id, document_id ON annotator_span
    FOR EACH ROW EXECUTE FUNCTION annotator_span_fits_document()
    """,
    """
    CREATE FUNCTION annotator_document_text_frozen() RETURNS trigger AS $$
    BEGIN
      IF NEW.text IS DISTINCT FROM OLD.text
         AND EXISTS (SELECT 1 FROM annotator_span WHERE document_id = OLD.id) THEN
        RAISE EXCEPTION 'document % has spans; its text cannot change', OLD.id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_document_text_frozen
    BEFORE UPDATE OF text ON annotator_document
    FOR EACH ROW EXECUTE FUNCTION annotator_document_text_frozen()
    """,
]

POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_document_text_frozen ON annotator_document",
    "DROP FUNCTION IF EXISTS annotator_document_text_frozen()",
    "DROP TRIGGER IF EXISTS annotator_span_fits_document ON annotator_span",
    "DROP FUNCTION IF EXISTS annotator_span_fits_document()",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("annotator", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
