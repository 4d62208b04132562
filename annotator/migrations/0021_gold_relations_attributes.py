"""Gold relations and gold span attribute values: what the adjudication settles of the
annotators' relations (migration 0017), with provenance as gold spans have it.

Triggers hold what Django cannot express, as 0017 does for the annotators' tables:

- a gold relation joins two gold spans of its own document, with a type of the
  document's project;
- a gold span's attribute value belongs to an attribute of the gold span's label and is
  one of its allowed values, and a gold span cannot change label while it holds values
  of the old label's attributes (the gold service drops them first);
- deleting a gold span deletes its gold relations and attribute values, and deleting an
  annotator's relation or attribute value deletes the provenance rows that name it, also
  when the delete does not go through Django's collector (raw SQL, 0017's span trigger).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQLITE_GOLD_RELATION_FITS = """
    WHEN (SELECT document_id FROM annotator_goldspan WHERE id = NEW.source_id)
         IS NOT NEW.document_id
      OR (SELECT document_id FROM annotator_goldspan WHERE id = NEW.target_id)
         IS NOT NEW.document_id
      OR (SELECT project_id FROM annotator_relationtype WHERE id = NEW.type_id)
         IS NOT (SELECT project_id FROM annotator_document WHERE id = NEW.document_id)
    BEGIN
      SELECT RAISE(ABORT, 'gold relation must join two gold spans of its document');
    END
"""

SQLITE_GOLD_ATTRIBUTE_FITS = """
    WHEN (SELECT label_id FROM annotator_labelattribute WHERE id = NEW.attribute_id)
         IS NOT (SELECT label_id FROM annotator_goldspan WHERE id = NEW.gold_span_id)
      OR NOT EXISTS (
        SELECT 1 FROM json_each(
          (SELECT allowed_values FROM annotator_labelattribute WHERE id = NEW.attribute_id)
        ) WHERE json_each.value = NEW.value
      )
    BEGIN
      SELECT RAISE(ABORT,
        'gold span attribute must be of its gold span''s label, with an allowed value');
    END
"""

SQLITE_FORWARD = [
    "CREATE TRIGGER annotator_goldrelation_fits_insert BEFORE INSERT ON annotator_goldrelation "
    "FOR EACH ROW" + SQLITE_GOLD_RELATION_FITS,
    "CREATE TRIGGER annotator_goldrelation_fits_update BEFORE UPDATE OF "
    "type_id, document_id, source_id, target_id ON annotator_goldrelation "
    "FOR EACH ROW" + SQLITE_GOLD_RELATION_FITS,
    "CREATE TRIGGER annotator_goldspanattribute_fits_insert "
    "BEFORE INSERT ON annotator_goldspanattribute FOR EACH ROW" + SQLITE_GOLD_ATTRIBUTE_FITS,
    "CREATE TRIGGER annotator_goldspanattribute_fits_update BEFORE UPDATE OF "
    "gold_span_id, attribute_id, value ON annotator_goldspanattribute "
    "FOR EACH ROW" + SQLITE_GOLD_ATTRIBUTE_FITS,
    """
    CREATE TRIGGER annotator_goldspan_attributes_fit_label
    BEFORE UPDATE OF label_id ON annotator_goldspan
    FOR EACH ROW
    WHEN EXISTS (
      SELECT 1 FROM annotator_goldspanattribute
        JOIN annotator_labelattribute
          ON annotator_labelattribute.id = annotator_goldspanattribute.attribute_id
       WHERE annotator_goldspanattribute.gold_span_id = NEW.id
         AND annotator_labelattribute.label_id IS NOT NEW.label_id
    )
    BEGIN
      SELECT RAISE(ABORT, 'gold span holds values of its label''s attributes; drop them first');
    END
    """,
    """
    CREATE TRIGGER annotator_goldspan_delete_cascade
    AFTER DELETE ON annotator_goldspan
    FOR EACH ROW
    BEGIN
      DELETE FROM annotator_goldrelation WHERE source_id = OLD.id OR target_id = OLD.id;
      DELETE FROM annotator_goldspanattribute WHERE gold_span_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER annotator_goldrelation_delete_cascade
    AFTER DELETE ON annotator_goldrelation
    FOR EACH ROW
    BEGIN
      DELETE FROM annotator_goldrelation_source_relations WHERE goldrelation_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER annotator_goldspanattribute_delete_cascade
    AFTER DELETE ON annotator_goldspanattribute
    FOR EACH ROW
    BEGIN
      DELETE FROM annotator_goldspanattribute_source_values
       WHERE goldspanattribute_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER annotator_relation_gold_provenance_cascade
    AFTER DELETE ON annotator_relation
    FOR EACH ROW
    BEGIN
      DELETE FROM annotator_goldrelation_source_relations WHERE relation_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER annotator_spanattribute_gold_provenance_cascade
    AFTER DELETE ON annotator_spanattribute
    FOR EACH ROW
    BEGIN
      DELETE FROM annotator_goldspanattribute_source_values WHERE spanattribute_id = OLD.id;
    END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS annotator_goldrelation_fits_insert",
    "DROP TRIGGER IF EXISTS annotator_goldrelation_fits_update",
    "DROP TRIGGER IF EXISTS annotator_goldspanattribute_fits_insert",
    "DROP TRIGGER IF EXISTS annotator_goldspanattribute_fits_update",
    "DROP TRIGGER IF EXISTS annotator_goldspan_attributes_fit_label",
    "DROP TRIGGER IF EXISTS annotator_goldspan_delete_cascade",
    "DROP TRIGGER IF EXISTS annotator_goldrelation_delete_cascade",
    "DROP TRIGGER IF EXISTS annotator_goldspanattribute_delete_cascade",
    "DROP TRIGGER IF EXISTS annotator_relation_gold_provenance_cascade",
    "DROP TRIGGER IF EXISTS annotator_spanattribute_gold_provenance_cascade",
]

POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION annotator_goldrelation_fits() RETURNS trigger AS $$
    BEGIN
      IF (SELECT document_id FROM annotator_goldspan WHERE id = NEW.source_id)
           IS DISTINCT FROM NEW.document_id
         OR (SELECT document_id FROM annotator_goldspan WHERE id = NEW.target_id)
           IS DISTINCT FROM NEW.document_id THEN
        RAISE EXCEPTION 'gold relation must join two gold spans of document %',
          NEW.document_id USING ERRCODE = 'check_violation';
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
    CREATE TRIGGER annotator_goldrelation_fits
    BEFORE INSERT OR UPDATE OF type_id, document_id, source_id, target_id
    ON annotator_goldrelation
    FOR EACH ROW EXECUTE FUNCTION annotator_goldrelation_fits()
    """,
    """
    CREATE FUNCTION annotator_goldspanattribute_fits() RETURNS trigger AS $$
    DECLARE
      attribute_label bigint;
      allowed jsonb;
    BEGIN
      SELECT label_id, allowed_values INTO attribute_label, allowed
        FROM annotator_labelattribute WHERE id = NEW.attribute_id;
      IF attribute_label IS DISTINCT FROM
         (SELECT label_id FROM annotator_goldspan WHERE id = NEW.gold_span_id) THEN
        RAISE EXCEPTION 'attribute % is not an attribute of the label of gold span %',
          NEW.attribute_id, NEW.gold_span_id USING ERRCODE = 'check_violation';
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
    CREATE TRIGGER annotator_goldspanattribute_fits
    BEFORE INSERT OR UPDATE OF gold_span_id, attribute_id, value ON annotator_goldspanattribute
    FOR EACH ROW EXECUTE FUNCTION annotator_goldspanattribute_fits()
    """,
    """
    CREATE FUNCTION annotator_goldspan_attributes_fit_label() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM annotator_goldspanattribute
          JOIN annotator_labelattribute
            ON annotator_labelattribute.id = annotator_goldspanattribute.attribute_id
         WHERE annotator_goldspanattribute.gold_span_id = NEW.id
           AND annotator_labelattribute.label_id IS DISTINCT FROM NEW.label_id
      ) THEN
        RAISE EXCEPTION 'gold span % holds values of its label''s attributes; drop them first',
          NEW.id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_goldspan_attributes_fit_label
    BEFORE UPDATE OF label_id ON annotator_goldspan
    FOR EACH ROW EXECUTE FUNCTION annotator_goldspan_attributes_fit_label()
    """,
    """
    CREATE FUNCTION annotator_goldspan_delete_cascade() RETURNS trigger AS $$
    BEGIN
      DELETE FROM annotator_goldrelation WHERE source_id = OLD.id OR target_id = OLD.id;
      DELETE FROM annotator_goldspanattribute WHERE gold_span_id = OLD.id;
      RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_goldspan_delete_cascade
    AFTER DELETE ON annotator_goldspan
    FOR EACH ROW EXECUTE FUNCTION annotator_goldspan_delete_cascade()
    """,
    """
    CREATE FUNCTION annotator_goldrelation_delete_cascade() RETURNS trigger AS $$
    BEGIN
      DELETE FROM annotator_goldrelation_source_relations WHERE goldrelation_id = OLD.id;
      RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_goldrelation_delete_cascade
    AFTER DELETE ON annotator_goldrelation
    FOR EACH ROW EXECUTE FUNCTION annotator_goldrelation_delete_cascade()
    """,
    """
    CREATE FUNCTION annotator_goldspanattribute_delete_cascade() RETURNS trigger AS $$
    BEGIN
      DELETE FROM annotator_goldspanattribute_source_values WHERE goldspanattribute_id = OLD.id;
      RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_goldspanattribute_delete_cascade
    AFTER DELETE ON annotator_goldspanattribute
    FOR EACH ROW EXECUTE FUNCTION annotator_goldspanattribute_delete_cascade()
    """,
    """
    CREATE FUNCTION annotator_relation_gold_provenance_cascade() RETURNS trigger AS $$
    BEGIN
      DELETE FROM annotator_goldrelation_source_relations WHERE relation_id = OLD.id;
      RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_relation_gold_provenance_cascade
    AFTER DELETE ON annotator_relation
    FOR EACH ROW EXECUTE FUNCTION annotator_relation_gold_provenance_cascade()
    """,
    """
    CREATE FUNCTION annotator_spanattribute_gold_provenance_cascade() RETURNS trigger AS $$
    BEGIN
      DELETE FROM annotator_goldspanattribute_source_values WHERE spanattribute_id = OLD.id;
      RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER annotator_spanattribute_gold_provenance_cascade
    AFTER DELETE ON annotator_spanattribute
    FOR EACH ROW EXECUTE FUNCTION annotator_spanattribute_gold_provenance_cascade()
    """,
]

POSTGRESQL_BACKWARD = [
    statement
    for name, table in [
        ("spanattribute_gold_provenance_cascade", "spanattribute"),
        ("relation_gold_provenance_cascade", "relation"),
        ("goldspanattribute_delete_cascade", "goldspanattribute"),
        ("goldrelation_delete_cascade", "goldrelation"),
        ("goldspan_delete_cascade", "goldspan"),
        ("goldspan_attributes_fit_label", "goldspan"),
        ("goldspanattribute_fits", "goldspanattribute"),
        ("goldrelation_fits", "goldrelation"),
    ]
    for statement in (
        f"DROP TRIGGER IF EXISTS annotator_{name} ON annotator_{table}",
        f"DROP FUNCTION IF EXISTS annotator_{name}()",
    )
]


def triggers_forward(apps, schema_editor) -> None:
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def triggers_backward(apps, schema_editor) -> None:
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0020_actor_aliases"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GoldRelation",
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
                ("created", models.DateTimeField(auto_now_add=True)),
                ("updated", models.DateTimeField(auto_now=True)),
                (
                    "curator",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="gold_relations",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="gold_relations",
                        to="annotator.document",
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations_from",
                        to="annotator.goldspan",
                    ),
                ),
                (
                    "source_relations",
                    models.ManyToManyField(
                        blank=True, related_name="gold_relations", to="annotator.relation"
                    ),
                ),
                (
                    "target",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relations_to",
                        to="annotator.goldspan",
                    ),
                ),
                (
                    "type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="gold_relations",
                        to="annotator.relationtype",
                    ),
                ),
            ],
            options={
                "ordering": ["source_id", "target_id", "type_id", "id"],
                "indexes": [
                    models.Index(fields=["document"], name="annotator_g_documen_6ad1b6_idx")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("source", models.F("target")), _negated=True),
                        name="gold_relation_not_to_itself",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("status__in", ["proposed", "accepted"])),
                        name="gold_relation_status_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("origin__in", ["merge", "curator"])),
                        name="gold_relation_origin_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("origin", "merge"), _negated=True),
                            models.Q(("merge_rule", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="gold_relation_merge_has_rule",
                    ),
                    models.UniqueConstraint(
                        fields=("type", "source", "target"), name="gold_relation_unique_per_type"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="GoldSpanAttribute",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.CharField(max_length=50)),
                (
                    "origin",
                    models.CharField(
                        choices=[("merge", "Pre-merge"), ("curator", "Curator")], max_length=20
                    ),
                ),
                ("merge_rule", models.CharField(blank=True, max_length=200)),
                ("updated", models.DateTimeField(auto_now=True)),
                (
                    "attribute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="gold_values",
                        to="annotator.labelattribute",
                    ),
                ),
                (
                    "curator",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="gold_attribute_values",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "gold_span",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attribute_values",
                        to="annotator.goldspan",
                    ),
                ),
                (
                    "source_values",
                    models.ManyToManyField(
                        blank=True, related_name="gold_values", to="annotator.spanattribute"
                    ),
                ),
            ],
            options={
                "ordering": ["gold_span_id", "attribute_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("gold_span", "attribute"), name="gold_span_attribute_one_value"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("value", ""), _negated=True),
                        name="gold_span_attribute_value_not_empty",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("origin__in", ["merge", "curator"])),
                        name="gold_span_attribute_origin_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("origin", "merge"), _negated=True),
                            models.Q(("merge_rule", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="gold_span_attribute_merge_has_rule",
                    ),
                ],
            },
        ),
        migrations.RunPython(triggers_forward, triggers_backward),
    ]
