"""Assignments with statuses for a gold standard; gold spans; stored agreement.

Data: assignment statuses not_started -> assigned, done -> submitted (the old
"done" meant the annotator had finished, which is what "submitted" means now).

Triggers, as in 0002 and for the same reasons: a gold span ends within its
document's text and uses a label of the document's project, and a document's
text is frozen once it has spans *or gold spans* (the 0002 trigger is replaced).

SQLite rebuilds annotator_document to add its new column and constraint, and a
trigger that names a table being rebuilt breaks the rebuild: the 0002 triggers
are dropped first and created again at the end.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

span_triggers = importlib.import_module("annotator.migrations.0002_span_triggers")

STATUS_FORWARD = {"not_started": "assigned", "done": "submitted"}
STATUS_BACKWARD = {"assigned": "not_started", "submitted": "done", "skipped": "in_progress"}


def _map_statuses(apps, mapping: dict[str, str]) -> None:
    assignment = apps.get_model("annotator", "Assignment")
    for old, new in mapping.items():
        assignment.objects.filter(status=old).update(status=new)


def statuses_forward(apps, schema_editor):
    _map_statuses(apps, STATUS_FORWARD)


def statuses_backward(apps, schema_editor):
    _map_statuses(apps, STATUS_BACKWARD)


def sqlite_triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in span_triggers.SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


def sqlite_triggers_restore(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in span_triggers.SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


SQLITE_FORWARD = [
    *span_triggers.SQLITE_FORWARD[:2],
    """
    CREATE TRIGGER annotator_goldspan_fits_document_insert
    BEFORE INSERT ON annotator_goldspan
    FOR EACH ROW
    WHEN NEW."end" > (SELECT length(text) FROM annotator_document WHERE id = NEW.document_id)
      OR (SELECT project_id FROM annotator_label WHERE id = NEW.label_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'gold span must end within its document and use a label of its project');
    END
    """,
    """
    CREATE TRIGGER annotator_goldspan_fits_document_update
    BEFORE UPDATE OF "end", label_id, document_id ON annotator_goldspan
    FOR EACH ROW
    WHEN NEW."end" > (SELECT length(text) FROM annotator_document WHERE id = NEW.document_id)
      OR (SELECT project_id FROM annotator_label WHERE id = NEW.label_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'gold span must end within its document and use a label of its project');
    END
    """,
    "DROP TRIGGER IF EXISTS annotator_document_text_frozen",
    """
    CREATE TRIGGER annotator_document_text_frozen
    BEFORE UPDATE OF text ON annotator_document
    FOR EACH ROW
    WHEN NEW.text IS NOT OLD.text
      AND (EXISTS (SELECT 1 FROM annotator_span WHERE document_id = OLD.id)
           OR EXISTS (SELECT 1 FROM annotator_goldspan WHERE document_id = OLD.id))
    BEGIN
      SELECT RAISE(ABORT, 'document has spans; its text cannot change');
    END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_goldspan_fits_document_insert",
    "DROP TRIGGER IF EXISTS annotator_goldspan_fits_document_update",
    *span_triggers.SQLITE_BACKWARD,
]

POSTGRESQL_FORWARD = [
    """
    CREATE TRIGGER annotator_goldspan_fits_document
    BEFORE INSERT OR UPDATE OF "end", label_id, document_id ON annotator_goldspan
    FOR EACH ROW EXECUTE FUNCTION annotator_span_fits_document()
    """,
    """
    CREATE OR REPLACE FUNCTION annotator_document_text_frozen() RETURNS trigger AS $$
    BEGIN
      IF NEW.text IS DISTINCT FROM OLD.text
         AND (EXISTS (SELECT 1 FROM annotator_span WHERE document_id = OLD.id)
              OR EXISTS (SELECT 1 FROM annotator_goldspan WHERE document_id = OLD.id)) THEN
        RAISE EXCEPTION 'document % has spans; its text cannot change', OLD.id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
]

POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_goldspan_fits_document ON annotator_goldspan",
    """
    CREATE OR REPLACE FUNCTION annotator_document_text_frozen() RETURNS trigger AS $$
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
]


def triggers_forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def triggers_backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0002_span_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers_drop, sqlite_triggers_restore),
        migrations.CreateModel(
            name="DocumentAgreement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("annotators", models.PositiveSmallIntegerField()),
                ("score", models.FloatField(null=True)),
                ("statistics", models.JSONField()),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="GoldSpan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start", models.PositiveIntegerField()),
                ("end", models.PositiveIntegerField()),
                (
                    "status",
                    models.CharField(
                        choices=[("proposed", "Proposed"), ("accepted", "Accepted")],
                        default="proposed",
                        max_length=20,
                    ),
                ),
                (
                    "origin",
                    models.CharField(
                        choices=[("merge", "Pre-merge"), ("curator", "Curator")], max_length=20
                    ),
                ),
                ("merge_rule", models.CharField(blank=True, max_length=200)),
                ("guidelines_version", models.PositiveIntegerField()),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["start", "-end", "label_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="ProjectAgreement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("documents", models.PositiveIntegerField(default=0)),
                ("statistics", models.JSONField(null=True)),
                ("summary", models.JSONField(null=True)),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="assignment",
            name="assignment_status_valid",
        ),
        migrations.AddField(
            model_name="assignment",
            name="skip_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="assignment",
            name="submitted",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="gold_status",
            field=models.CharField(
                choices=[
                    ("not_started", "Not started"),
                    ("in_progress", "In progress"),
                    ("gold", "Gold"),
                ],
                default="not_started",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="in_pool",
            field=models.BooleanField(
                default=True,
                help_text="An annotator in the pool receives documents when they are distributed.",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="annotators_per_document",
            field=models.PositiveSmallIntegerField(
                default=2, help_text="How many annotators the distribution gives each document."
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="assignment_required",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Annotators may annotate only the documents assigned to them "
                    "(set when documents are distributed or assigned by hand)."
                ),
            ),
        ),
        migrations.AlterField(
            model_name="assignment",
            name="status",
            field=models.CharField(
                choices=[
                    ("assigned", "Assigned"),
                    ("in_progress", "In progress"),
                    ("submitted", "Submitted"),
                    ("skipped", "Skipped"),
                ],
                default="assigned",
                max_length=20,
            ),
        ),
        migrations.RunPython(statuses_forward, statuses_backward),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                fields=["document", "status"], name="annotator_a_documen_6f2ddf_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                fields=["project", "gold_status"], name="annotator_d_project_6318f7_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["assigned", "in_progress", "submitted", "skipped"])
                ),
                name="assignment_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "skipped"), _negated=True),
                    models.Q(("skip_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="assignment_skip_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.CheckConstraint(
                condition=models.Q(("gold_status__in", ["not_started", "in_progress", "gold"])),
                name="document_gold_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(("annotators_per_document__gte", 1)),
                name="project_annotators_per_document_positive",
            ),
        ),
        migrations.AddField(
            model_name="documentagreement",
            name="document",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="agreement",
                to="annotator.document",
            ),
        ),
        migrations.AddField(
            model_name="documentagreement",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="annotator.project",
            ),
        ),
        migrations.AddField(
            model_name="goldspan",
            name="curator",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="gold_spans",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="goldspan",
            name="document",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="gold_spans",
                to="annotator.document",
            ),
        ),
        migrations.AddField(
            model_name="goldspan",
            name="label",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="gold_spans",
                to="annotator.label",
            ),
        ),
        migrations.AddField(
            model_name="goldspan",
            name="source_spans",
            field=models.ManyToManyField(
                blank=True, related_name="gold_spans", to="annotator.span"
            ),
        ),
        migrations.AddField(
            model_name="projectagreement",
            name="project",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="agreement",
                to="annotator.project",
            ),
        ),
        migrations.AddIndex(
            model_name="documentagreement",
            index=models.Index(fields=["project", "score"], name="annotator_d_project_3c193a_idx"),
        ),
        migrations.AddConstraint(
            model_name="goldspan",
            constraint=models.CheckConstraint(
                condition=models.Q(("start__gte", 0)), name="gold_span_start_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="goldspan",
            constraint=models.CheckConstraint(
                condition=models.Q(("start__lt", models.F("end"))), name="gold_span_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="goldspan",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["proposed", "accepted"])),
                name="gold_span_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="goldspan",
            constraint=models.CheckConstraint(
                condition=models.Q(("origin__in", ["merge", "curator"])),
                name="gold_span_origin_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="goldspan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("origin", "merge"), _negated=True),
                    models.Q(("merge_rule", ""), _negated=True),
                    _connector="OR",
                ),
                name="gold_span_merge_has_rule",
            ),
        ),
        migrations.AddConstraint(
            model_name="goldspan",
            constraint=models.UniqueConstraint(
                fields=("document", "label", "start", "end"), name="gold_span_unique"
            ),
        ),
        migrations.RunPython(triggers_forward, triggers_backward),
    ]
