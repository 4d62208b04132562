"""Suggestions, their decisions, pseudo-annotators, trained models, and two kinds of triggers.

- A suggestion ends within its document's text and uses a label of its
  project, as a span does (migration 0002; PostgreSQL reuses its function).
- ``annotator_phraseindexversion`` counts changes to the spans and gold spans
  of each project: the string-match automaton cached in each process is
  rebuilt when the count moves. Statement-level on PostgreSQL, so a bulk
  insert bumps it once per statement; the row goes with its project.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SPAN_TABLES = ("annotator_span", "annotator_goldspan")

# Gold spans count under annotator 0, an annotator's spans under their id.
ANNOTATOR_OF = {"annotator_span": "{row}.annotator_id", "annotator_goldspan": "0"}

SQLITE_BUMP = """
    INSERT INTO annotator_phraseindexversion (project_id, annotator_id, version)
    SELECT project_id, {annotator}, 1 FROM annotator_document WHERE id = {row}.document_id
    ON CONFLICT(project_id, annotator_id) DO UPDATE SET version = version + 1;
"""


def _sqlite_bump(table: str, row: str) -> str:
    annotator = ANNOTATOR_OF[table].format(row=row)
    return SQLITE_BUMP.format(row=row, annotator=annotator)


SQLITE_FORWARD = [
    """
    CREATE TRIGGER annotator_suggestion_fits_document_insert
    BEFORE INSERT ON annotator_suggestion
    FOR EACH ROW
    WHEN NEW."end" > (SELECT length(text) FROM annotator_document WHERE id = NEW.document_id)
      OR (SELECT project_id FROM annotator_label WHERE id = NEW.label_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'suggestion must end within its document and use a label of its project');
    END
    """,
    """
    CREATE TRIGGER annotator_suggestion_fits_document_update
    BEFORE UPDATE OF "end", label_id, document_id ON annotator_suggestion
    FOR EACH ROW
    WHEN NEW."end" > (SELECT length(text) FROM annotator_document WHERE id = NEW.document_id)
      OR (SELECT project_id FROM annotator_label WHERE id = NEW.label_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'suggestion must end within its document and use a label of its project');
    END
    """,
    *(
        f"""
        CREATE TRIGGER {table}_phrase_version_{event.lower()}
        AFTER {event} ON {table} FOR EACH ROW
        BEGIN {_sqlite_bump(table, "OLD" if event == "DELETE" else "NEW")} END
        """
        for table in SPAN_TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    """
    CREATE TRIGGER annotator_phrase_version_project_delete
    AFTER DELETE ON annotator_project FOR EACH ROW
    BEGIN DELETE FROM annotator_phraseindexversion WHERE project_id = OLD.id; END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_suggestion_fits_document_insert",
    "DROP TRIGGER IF EXISTS annotator_suggestion_fits_document_update",
    *(
        f"DROP TRIGGER IF EXISTS {table}_phrase_version_{event}"
        for table in SPAN_TABLES
        for event in ("insert", "update", "delete")
    ),
    "DROP TRIGGER IF EXISTS annotator_phrase_version_project_delete",
]

POSTGRESQL_BUMP = """
    INSERT INTO annotator_phraseindexversion (project_id, annotator_id, version)
    SELECT DISTINCT document.project_id, {annotator}, 1
    FROM {rows} JOIN annotator_document AS document ON document.id = {rows}.document_id
    ON CONFLICT (project_id, annotator_id)
    DO UPDATE SET version = annotator_phraseindexversion.version + 1
"""


def _postgresql_function(table: str) -> str:
    bump = {
        rows: POSTGRESQL_BUMP.format(rows=rows, annotator=ANNOTATOR_OF[table].format(row=rows))
        for rows in ("old_rows", "new_rows")
    }
    return f"""
    CREATE FUNCTION {table}_phrase_version() RETURNS trigger AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'UPDATE') THEN {bump["old_rows"]}; END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN {bump["new_rows"]}; END IF;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """


POSTGRESQL_FORWARD = [
    # The span function checks the same columns, so suggestions share it.
    """
    CREATE TRIGGER annotator_suggestion_fits_document
    BEFORE INSERT OR UPDATE OF "end", label_id, document_id ON annotator_suggestion
    FOR EACH ROW EXECUTE FUNCTION annotator_span_fits_document()
    """,
    *(
        statement
        for table in SPAN_TABLES
        for statement in (
            _postgresql_function(table),
            f"""CREATE TRIGGER {table}_phrase_version_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_phrase_version()""",
            f"""CREATE TRIGGER {table}_phrase_version_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_phrase_version()""",
            f"""CREATE TRIGGER {table}_phrase_version_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_phrase_version()""",
        )
    ),
    """
    CREATE FUNCTION annotator_phrase_version_project_delete() RETURNS trigger AS $$
    BEGIN
      DELETE FROM annotator_phraseindexversion WHERE project_id = OLD.id;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER annotator_phrase_version_project_delete AFTER DELETE ON annotator_project
    FOR EACH ROW EXECUTE FUNCTION annotator_phrase_version_project_delete()""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_suggestion_fits_document ON annotator_suggestion",
    *(
        f"DROP TRIGGER IF EXISTS {table}_phrase_version_{event} ON {table}"
        for table in SPAN_TABLES
        for event in ("insert", "update", "delete")
    ),
    *(f"DROP FUNCTION IF EXISTS {table}_phrase_version()" for table in SPAN_TABLES),
    "DROP TRIGGER IF EXISTS annotator_phrase_version_project_delete ON annotator_project",
    "DROP FUNCTION IF EXISTS annotator_phrase_version_project_delete()",
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
    dependencies = [
        ("annotator", "0010_distribution"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PhraseIndexVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("project_id", models.BigIntegerField()),
                (
                    "annotator_id",
                    models.BigIntegerField(default=0, help_text="0: the gold spans"),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("project_id", "annotator_id"), name="phrase_index_version_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PseudoAnnotator",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="pseudo_annotator",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AddField(
            model_name="span",
            name="origin",
            field=models.CharField(
                blank=True,
                help_text=(
                    "Where the span came from, when the annotator did not mark it: the source "
                    "of the suggestion they accepted (string-match, model:<name>@<version>, "
                    "import:<name>) or the import that wrote it (import:<name>). "
                    "None: marked by hand."
                ),
                max_length=200,
                null=True,
            ),
        ),
        migrations.CreateModel(
            name="Suggestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start", models.PositiveIntegerField()),
                ("end", models.PositiveIntegerField()),
                ("source", models.CharField(max_length=200)),
                ("score", models.FloatField(blank=True, null=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "annotator",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="suggestions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="suggestions",
                        to="annotator.document",
                    ),
                ),
                (
                    "label",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="suggestions",
                        to="annotator.label",
                    ),
                ),
            ],
            options={
                "ordering": ["start", "-end", "label_id", "id"],
            },
        ),
        migrations.AddField(
            model_name="span",
            name="suggestion",
            field=models.ForeignKey(
                blank=True,
                help_text="The suggestion accepted to make this span, while it exists.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="spans",
                to="annotator.suggestion",
            ),
        ),
        migrations.CreateModel(
            name="SuggestionDecision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("accepted", "Accepted"), ("rejected", "Rejected")], max_length=10
                    ),
                ),
                ("decided", models.DateTimeField(auto_now=True)),
                (
                    "annotator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="suggestion_decisions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "span",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="annotator.span",
                    ),
                ),
                (
                    "suggestion",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="decisions",
                        to="annotator.suggestion",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="TrainedModel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(default="spancat", max_length=50)),
                ("version", models.PositiveIntegerField()),
                ("seed", models.CharField(default="0", max_length=100)),
                ("train", models.FloatField(default=0.8)),
                ("validation", models.FloatField(default=0.1)),
                ("test", models.FloatField(default=0.1)),
                ("epochs", models.PositiveSmallIntegerField(default=20)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                (
                    "message",
                    models.TextField(blank=True, help_text="why the training failed, for the user"),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                (
                    "stage",
                    models.CharField(
                        blank=True, help_text="what the worker is doing", max_length=50
                    ),
                ),
                ("steps_done", models.PositiveIntegerField(default=0)),
                ("steps_total", models.PositiveIntegerField(default=0)),
                (
                    "counts",
                    models.JSONField(default=dict, help_text="documents and spans per split"),
                ),
                ("metrics", models.JSONField(blank=True, null=True)),
                ("config", models.TextField(blank=True, help_text="the spaCy pipeline's config")),
                ("weights", models.FileField(blank=True, upload_to="models/")),
                ("suggestions_made", models.PositiveIntegerField(default=0)),
                ("seconds", models.FloatField(blank=True, help_text="training time", null=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("started", models.DateTimeField(blank=True, null=True)),
                ("heartbeat", models.DateTimeField(blank=True, null=True)),
                ("finished", models.DateTimeField(blank=True, null=True)),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="trained_models",
                        to="annotator.project",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="trained_models",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["project", "name", "-version"],
            },
        ),
        migrations.AddIndex(
            model_name="suggestion",
            index=models.Index(
                fields=["document", "annotator"], name="annotator_s_documen_817ec4_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="suggestion",
            index=models.Index(fields=["source"], name="annotator_s_source_aa2473_idx"),
        ),
        migrations.AddConstraint(
            model_name="suggestion",
            constraint=models.CheckConstraint(
                condition=models.Q(("start__gte", 0)), name="suggestion_start_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="suggestion",
            constraint=models.CheckConstraint(
                condition=models.Q(("start__lt", models.F("end"))), name="suggestion_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="suggestion",
            constraint=models.CheckConstraint(
                condition=models.Q(("source", ""), _negated=True), name="suggestion_has_source"
            ),
        ),
        migrations.AddConstraint(
            model_name="suggestion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("annotator__isnull", False)),
                fields=("document", "annotator", "source", "label", "start", "end"),
                name="suggestion_unique_for_annotator",
            ),
        ),
        migrations.AddConstraint(
            model_name="suggestion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("annotator__isnull", True)),
                fields=("document", "source", "label", "start", "end"),
                name="suggestion_unique_for_everyone",
            ),
        ),
        migrations.AddIndex(
            model_name="suggestiondecision",
            index=models.Index(
                fields=["annotator", "suggestion"], name="annotator_s_annotat_a341fa_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="suggestiondecision",
            constraint=models.UniqueConstraint(
                fields=("suggestion", "annotator"), name="suggestion_decision_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="suggestiondecision",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["accepted", "rejected"])),
                name="suggestion_decision_status_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="trainedmodel",
            index=models.Index(fields=["status", "created"], name="annotator_t_status_1c490c_idx"),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.UniqueConstraint(
                fields=("project", "name", "version"), name="trained_model_version_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.CheckConstraint(
                condition=models.Q(("version__gte", 1)), name="trained_model_version_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["queued", "running", "done", "failed"])),
                name="trained_model_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "failed"), models.Q(("message", ""), _negated=True)),
                    models.Q(models.Q(("status", "failed"), _negated=True), ("message", "")),
                    _connector="OR",
                ),
                name="trained_model_failed_has_message",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "done"), _negated=True),
                    models.Q(("weights", ""), _negated=True),
                    _connector="OR",
                ),
                name="trained_model_done_has_weights",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "running"), _negated=True),
                    ("heartbeat__isnull", False),
                    _connector="OR",
                ),
                name="trained_model_running_has_heartbeat",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("train__gte", 0),
                    ("train__lte", 1),
                    ("validation__gte", 0),
                    ("validation__lte", 1),
                    ("test__gte", 0),
                    ("test__lte", 1),
                ),
                name="trained_model_ratios_in_unit_interval",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainedmodel",
            constraint=models.CheckConstraint(
                condition=models.Q(("epochs__gte", 1)), name="trained_model_epochs"
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
