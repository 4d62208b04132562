"""Label hotkeys may not take the pages' keys; label colours keep text readable; and, on
PostgreSQL, documents get a full-text search column.

A label that already has a reserved hotkey (a, e, n, p, z) is given the first free
digit or letter of its project before the constraint is added. The search column is
``search_vector``, generated and stored from the title and the first 100,000
characters of the text (annotator/projects/search.py), under a GIN index. It is not
a model field: SQLite has no tsvector, and searches there with a plain filter.

SQLite rebuilds annotator_label to add the constraint, and a trigger that names a
table being rebuilt breaks the rebuild: the span and gold-span triggers that read
annotator_label (0002, 0003) are dropped first and created again after it.
"""

import importlib

import django.core.validators
from django.db import migrations, models

import annotator.models

gold_standard = importlib.import_module("annotator.migrations.0003_gold_standard")

RESERVED = ["a", "e", "n", "p", "z"]
# The span and gold-span triggers of 0002 and 0003 as 0003 left them: both read annotator_label.
SQLITE_LABEL_TRIGGERS = gold_standard.SQLITE_FORWARD[:4]
SQLITE_LABEL_TRIGGER_NAMES = [
    "annotator_span_fits_document_insert",
    "annotator_span_fits_document_update",
    "annotator_goldspan_fits_document_insert",
    "annotator_goldspan_fits_document_update",
]


def sqlite_label_triggers_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for name in SQLITE_LABEL_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


def sqlite_label_triggers_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_LABEL_TRIGGERS:
            schema_editor.execute(statement, params=None)


FREE_KEYS = [key for key in "0123456789abcdefghijklmnopqrstuvwxyz" if key not in RESERVED]


def free_reserved_hotkeys(apps, schema_editor) -> None:
    Label = apps.get_model("annotator", "Label")
    for label in Label.objects.filter(hotkey__in=RESERVED).order_by("project_id", "pk"):
        taken = set(
            Label.objects.filter(project_id=label.project_id).values_list("hotkey", flat=True)
        )
        free = [key for key in FREE_KEYS if key not in taken]
        if not free:
            raise RuntimeError(
                f"Project {label.project_id}: no free hotkey for label {label.name!r}, whose key "
                f"{label.hotkey!r} the pages now reserve. Delete an unused label and migrate again."
            )
        label.hotkey = free[0]
        label.save(update_fields=["hotkey"])


SEARCH_COLUMN = """
ALTER TABLE annotator_document ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, title || ' ' || left(text, 100000))
    ) STORED
"""
SEARCH_INDEX = (
    "CREATE INDEX annotator_document_search_vector ON annotator_document USING gin (search_vector)"
)


def search_column_add(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_COLUMN)
        schema_editor.execute(SEARCH_INDEX)


def search_column_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE annotator_document DROP COLUMN search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0007_release_jobs"),
    ]

    operations = [
        migrations.RunPython(free_reserved_hotkeys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="label",
            name="colour",
            field=models.CharField(
                max_length=7,
                validators=[
                    django.core.validators.RegexValidator(
                        "^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb."
                    ),
                    annotator.models.validate_colour_readable,
                ],
            ),
        ),
        migrations.AlterField(
            model_name="label",
            name="hotkey",
            field=models.CharField(
                max_length=1,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[0-9a-z]$", "A hotkey is one digit or lower-case letter."
                    ),
                    annotator.models.validate_hotkey_free,
                ],
            ),
        ),
        migrations.RunPython(sqlite_label_triggers_drop, sqlite_label_triggers_create),
        migrations.AddConstraint(
            model_name="label",
            constraint=models.CheckConstraint(
                condition=models.Q(("hotkey__in", ["a", "e", "n", "p", "z"]), _negated=True),
                name="label_hotkey_not_reserved",
            ),
        ),
        migrations.RunPython(sqlite_label_triggers_create, sqlite_label_triggers_drop),
        migrations.RunPython(search_column_add, search_column_drop),
    ]
