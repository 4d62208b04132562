"""Relations between spans, and attributes of spans, with the defaults of every project.

Tables: RelationType (per project), Relation (one annotator's typed link between two of
their spans on one document), LabelAttribute (a categorical attribute of a label's spans)
and SpanAttribute (a span's value of one). Triggers hold what Django cannot express:

- a relation joins two spans of its own document and annotator, with a type of the
  document's project;
- a span's attribute value belongs to an attribute of the span's label and is one of
  its allowed values, and a span cannot change label while it holds values of the old
  label's attributes (the span service moves or drops them first);
- deleting a span deletes its relations and attribute values, also when the delete
  does not go through Django's collector (raw SQL, a bulk delete elsewhere).

Then every existing project gets the defaults new projects get
(``annotator/projects/setup.py``): relation types ``claimant`` and ``addressee`` from
claim, threat and proposal to actor, and ``stance`` (support, oppose, neutral) on
claim, threat and proposal. A project without those labels gets what its labels allow.
"""

import uuid

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import annotator.models

SQLITE_RELATION_FITS = """
    WHEN (SELECT document_id FROM annotator_span WHERE id = NEW.source_id) IS NOT NEW.document_id
      OR (SELECT document_id FROM annotator_span WHERE id = NEW.target_id) IS NOT NEW.document_id
      OR (SELECT annotator_id FROM annotator_span WHERE id = NEW.source_id) IS NOT NEW.annotator_id
      OR (SELECT annotator_id FROM annotator_span WHERE id = NEW.target_id) IS NOT NEW.annotator_id
      OR (SELECT project_id FROM annotator_relationtype WHERE id = NEW.type_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'relation must join two spans of its document and annotator');
    END
"""

SQLITE_SPAN_ATTRIBUTE_FITS = """
    WHEN (SELECT label_id FROM annotator_labelattribute WHERE id = NEW.attribute_id)
         IS NOT (SELECT label_id FROM annotator_span WHERE id = NEW.span_id)
      OR NOT EXISTS (
        SELECT 1 FROM json_each(
          (SELECT allowed_values FROM annotator_labelattribute WHERE id = NEW.attribute_id)
        ) WHERE json_each.value = NEW.value
      )
    BEGIN
      SELECT RAISE(ABORT, 'span attribute must be of its span''s label, with an allowed value');
    END
"""

SQLITE_FORWARD = [
    "CREATE TRIGGER annotator_relation_fits_insert BEFORE INSERT ON annotator_relation "
    "FOR EACH ROW" + SQLITE_RELATION_FITS,
    "CREATE TRIGGER annotator_relation_fits_update BEFORE UPDATE OF "
    "type_id, document_id, annotator_id, source_id, target_id ON annotator_relation "
    "FOR EACH ROW" + SQLITE_RELATION_FITS,
    "CREATE TRIGGER annotator_spanattribute_fits_insert BEFORE INSERT ON annotator_spanattribute "
    "FOR EACH ROW" + SQLITE_SPAN_ATTRIBUTE_FITS,
    "CREATE TRIGGER annotator_spanattribute_fits_update BEFORE UPDATE OF "
    "span_id, attribute_id, value ON annotator_spanattribute "
    "FOR EACH ROW" + SQLITE_SPAN_ATTRIBUTE_FITS,
    """
    CREATE TRIGGER annotator_span_attributes_fit_label
    BEFORE UPDATE OF label_id ON annotator_span
    FOR EACH ROW
    WHEN EXISTS (
      SELECT 1 FROM annotator_spanattribute
        JOIN annotator_labelattribute
          ON annotator_labelattribute.id = annotator_spanattribute.attribute_id
       WHERE annotator_spanattribute.span_id = NEW.id
         AND annotator_labelattribute.label_id IS NOT NEW.label_id
    )
    BEGIN
      SELECT RAISE(ABORT, 'span holds values of its label''s attributes; drop them first');
    END
    """,
    """
    CREATE TRIGGER annotator_span_delete_cascade
    AFTER DELETE ON annotator_span
    FOR EACH ROW
    BEGIN
      DELETE FROM annotator_relation WHERE source_id = OLD.id OR target_id = OLD.id;
      DELETE FROM annotator_spanattribute WHERE span_id = OLD.id;
    END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_relation_fits_insert",
    "DROP TRIGGER IF EXISTS annotator_relation_fits_update",
    "DROP TRIGGER IF EXISTS annotator_spanattribute_fits_insert",
    "DROP TRIGGER IF EXISTS annotator_spanattribute_fits_update",
    "DROP TRIGGER IF EXISTS annotator_span_attributes_fit_label",
    "DROP TRIGGER IF EXISTS annotator_span_delete_cascade",
]

POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION annotator_relation_fits() RETURNS trigger AS $$
    DECLARE
      source_document bigint;
      source_annotator bigint;
      target_document bigint;
      target_annotator bigint;
    BEGIN
      SELECT document_id, annotator_id INTO source_document, source_annotator
        FROM annotator_span WHERE id = NEW.source_id;
      SELECT document_id, annotator_id INTO target_document, target_annotator
        FROM annotator_span WHERE id = NEW.target_id;
      IF source_document IS DISTINCT FROM NEW.document_id
         OR target_document IS DISTINCT FROM NEW.document_id
         OR source_annotator IS DISTINCT FROM NEW.annotator_id
         OR target_annotator IS DISTINCT FROM NEW.annotator_id THEN
        RAISE EXCEPTION 'relation must join two spans of document % by annotator %',
          NEW.document_id, NEW.annotator_id USING ERRCODE = 'check_violation';
      END IF;
      IF (SELECT project_id FROM annotator_relationtype WHERE id = NEW.type_id)
         IS DISTINCT FROM (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
      THEN
        RAISE EXCEPTION 'relation type % is not a type of the project of document %',
          NEW.type_id, NEW.document_id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_relation_fits
    BEFORE INSERT OR UPDATE OF type_id, document_id, annotator_id, source_id, target_id
    ON annotator_relation
    FOR EACH ROW EXECUTE FUNCTION annotator_relation_fits()
    """,
    """
    CREATE FUNCTION annotator_spanattribute_fits() RETURNS trigger AS $$
    DECLARE
      attribute_label bigint;
      allowed jsonb;
    BEGIN
      SELECT label_id, allowed_values INTO attribute_label, allowed
        FROM annotator_labelattribute WHERE id = NEW.attribute_id;
      IF attribute_label IS DISTINCT FROM
         (SELECT label_id FROM annotator_span WHERE id = NEW.span_id) THEN
        RAISE EXCEPTION 'attribute % is not an attribute of the label of span %',
          NEW.attribute_id, NEW.span_id USING ERRCODE = 'check_violation';
      END IF;
      IF jsonb_typeof(allowed) IS DISTINCT FROM 'array' OR NOT (allowed ? NEW.value) THEN
        RAISE EXCEPTION 'value % is not an allowed value of attribute %',
          NEW.value, NEW.attribute_id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_spanattribute_fits
    BEFORE INSERT OR UPDATE OF span_id, attribute_id, value ON annotator_spanattribute
    FOR EACH ROW EXECUTE FUNCTION annotator_spanattribute_fits()
    """,
    """
    CREATE FUNCTION annotator_span_attributes_fit_label() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM annotator_spanattribute
          JOIN annotator_labelattribute
            ON annotator_labelattribute.id = annotator_spanattribute.attribute_id
         WHERE annotator_spanattribute.span_id = NEW.id
           AND annotator_labelattribute.label_id IS DISTINCT FROM NEW.label_id
      ) THEN
        RAISE EXCEPTION 'span % holds values of its label''s attributes; drop them first',
          NEW.id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_span_attributes_fit_label
    BEFORE UPDATE OF label_id ON annotator_span
    FOR EACH ROW EXECUTE FUNCTION annotator_span_attributes_fit_label()
    """,
    """
    CREATE FUNCTION annotator_span_delete_cascade() RETURNS trigger AS $$
    BEGIN
      DELETE FROM annotator_relation WHERE source_id = OLD.id OR target_id = OLD.id;
      DELETE FROM annotator_spanattribute WHERE span_id = OLD.id;
      RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_span_delete_cascade
    AFTER DELETE ON annotator_span
    FOR EACH ROW EXECUTE FUNCTION annotator_span_delete_cascade()
    """,
]

POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_span_delete_cascade ON annotator_span",
    "DROP FUNCTION IF EXISTS annotator_span_delete_cascade()",
    "DROP TRIGGER IF EXISTS annotator_span_attributes_fit_label ON annotator_span",
    "DROP FUNCTION IF EXISTS annotator_span_attributes_fit_label()",
    "DROP TRIGGER IF EXISTS annotator_spanattribute_fits ON annotator_spanattribute",
    "DROP FUNCTION IF EXISTS annotator_spanattribute_fits()",
    "DROP TRIGGER IF EXISTS annotator_relation_fits ON annotator_relation",
    "DROP FUNCTION IF EXISTS annotator_relation_fits()",
]


def triggers_forward(apps, schema_editor) -> None:
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def triggers_backward(apps, schema_editor) -> None:
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


# A copy of the defaults in annotator/projects/setup.py as they stand at this migration.
STATEMENT_LABELS = ["claim", "threat", "proposal"]
ACTOR_LABEL = "actor"
RELATION_TYPES = [
    ("claimant", "c", "The actor who makes the claim, threat or proposal."),
    ("addressee", "d", "The actor the claim, threat or proposal is aimed at."),
]
STANCE = (
    "stance",
    ["support", "oppose", "neutral"],
    "Whether the statement supports, opposes or is neutral towards its subject.",
)
RESERVED = ["a", "e", "n", "p", "s", "u", "x", "z"]
FREE_KEYS = [key for key in "0123456789abcdefghijklmnopqrstuvwxyz" if key not in RESERVED]


def add_defaults(apps, schema_editor) -> None:
    Project = apps.get_model("annotator", "Project")
    Label = apps.get_model("annotator", "Label")
    RelationType = apps.get_model("annotator", "RelationType")
    LabelAttribute = apps.get_model("annotator", "LabelAttribute")
    for project in Project.objects.order_by("pk"):
        labels = {label.name.lower(): label for label in Label.objects.filter(project=project)}
        statements = [labels[name] for name in STATEMENT_LABELS if name in labels]
        actor = labels.get(ACTOR_LABEL)
        if statements and actor is not None:
            # The annotate page will read a relation key where a label key relabels the
            # selected span, so a relation type's key is never a label's.
            taken = {label.hotkey for label in labels.values()}
            for name, key, description in RELATION_TYPES:
                if key in taken:
                    key = next(free for free in FREE_KEYS if free not in taken)
                taken.add(key)
                relation_type = RelationType.objects.create(
                    project=project, name=name, key=key, directed=True, description=description
                )
                relation_type.source_labels.set(statements)
                relation_type.target_labels.set([actor])
        name, values, description = STANCE
        for label in statements:
            LabelAttribute.objects.create(
                label=label, name=name, allowed_values=values, description=description
            )


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0016_reserve_suggestion_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LabelAttribute",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=50)),
                (
                    "allowed_values",
                    models.JSONField(default=list, help_text="The allowed values, in order."),
                ),
                ("description", models.TextField(blank=True)),
                (
                    "label",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attributes",
                        to="annotator.label",
                    ),
                ),
            ],
            options={
                "ordering": ["label", "name"],
            },
        ),
        migrations.CreateModel(
            name="RelationType",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=50)),
                (
                    "key",
                    models.CharField(
                        max_length=1,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[0-9a-z]$", "A hotkey is one digit or lower-case letter."
                            ),
                            annotator.models.validate_hotkey_free,
                        ],
                    ),
                ),
                ("directed", models.BooleanField(default=True)),
                ("description", models.TextField(blank=True)),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relation_types",
                        to="annotator.project",
                    ),
                ),
                (
                    "source_labels",
                    models.ManyToManyField(blank=True, related_name="+", to="annotator.label"),
                ),
                (
                    "target_labels",
                    models.ManyToManyField(blank=True, related_name="+", to="annotator.label"),
                ),
            ],
            options={
                "ordering": ["project", "key"],
            },
        ),
        migrations.CreateModel(
            name="Relation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("client_id", models.UUIDField(default=uuid.uuid4, unique=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "annotator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations",
                        to="annotator.document",
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations_from",
                        to="annotator.span",
                    ),
                ),
                (
                    "target",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations_to",
                        to="annotator.span",
                    ),
                ),
                (
                    "type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="relations",
                        to="annotator.relationtype",
                    ),
                ),
            ],
            options={
                "ordering": ["source_id", "target_id", "type_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="SpanAttribute",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.CharField(max_length=50)),
                ("updated", models.DateTimeField(auto_now=True)),
                (
                    "attribute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="span_values",
                        to="annotator.labelattribute",
                    ),
                ),
                (
                    "span",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attribute_values",
                        to="annotator.span",
                    ),
                ),
            ],
            options={
                "ordering": ["span_id", "attribute_id"],
            },
        ),
        migrations.AddConstraint(
            model_name="labelattribute",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                models.F("label"),
                name="label_attribute_name_unique_per_label_ci",
            ),
        ),
        migrations.AddConstraint(
            model_name="labelattribute",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True),
                name="label_attribute_name_not_empty",
            ),
        ),
        migrations.AddConstraint(
            model_name="relationtype",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                models.F("project"),
                name="relation_type_name_unique_per_project_ci",
            ),
        ),
        migrations.AddConstraint(
            model_name="relationtype",
            constraint=models.UniqueConstraint(
                fields=("project", "key"), name="relation_type_key_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="relationtype",
            constraint=models.CheckConstraint(
                condition=models.Q(("key__regex", "^[0-9a-z]$")), name="relation_type_key_one_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="relationtype",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("key__in", ["a", "e", "n", "p", "s", "u", "x", "z"]), _negated=True
                ),
                name="relation_type_key_not_reserved",
            ),
        ),
        migrations.AddConstraint(
            model_name="relationtype",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="relation_type_name_not_empty"
            ),
        ),
        migrations.AddIndex(
            model_name="relation",
            index=models.Index(
                fields=["document", "annotator"], name="annotator_r_documen_ed0140_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="relation",
            constraint=models.CheckConstraint(
                condition=models.Q(("source", models.F("target")), _negated=True),
                name="relation_not_to_itself",
            ),
        ),
        migrations.AddConstraint(
            model_name="relation",
            constraint=models.UniqueConstraint(
                fields=("type", "source", "target"), name="relation_unique_per_type"
            ),
        ),
        migrations.AddConstraint(
            model_name="spanattribute",
            constraint=models.UniqueConstraint(
                fields=("span", "attribute"), name="span_attribute_one_value"
            ),
        ),
        migrations.AddConstraint(
            model_name="spanattribute",
            constraint=models.CheckConstraint(
                condition=models.Q(("value", ""), _negated=True),
                name="span_attribute_value_not_empty",
            ),
        ),
        migrations.RunPython(triggers_forward, triggers_backward),
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
    ]
