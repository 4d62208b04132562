"""The annotate page's suggestion keys, ``s`` (next suggestion) and ``x`` (reject it),
join the reserved keys, so no label hotkey may take them.

A label already on ``s`` or ``x`` moves to the first free digit or letter of its project.
SQLite rebuilds annotator_label to change the constraint, and a trigger that names
that table breaks the rebuild, so every such trigger is read from sqlite_master,
dropped, and created again from its own SQL after the rebuild (as in 0015).
"""

from django.db import migrations, models

NEWLY_RESERVED = ["s", "x"]
RESERVED = ["a", "e", "n", "p", "s", "u", "x", "z"]
FREE_KEYS = [key for key in "0123456789abcdefghijklmnopqrstuvwxyz" if key not in RESERVED]


def free_newly_reserved_hotkeys(apps, schema_editor) -> None:
    Label = apps.get_model("annotator", "Label")
    for label in Label.objects.filter(hotkey__in=NEWLY_RESERVED).order_by("project_id", "pk"):
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


# What the triggers that name annotator_label were, between dropping and creating them
# again, by database alias: both steps run in the one migrate process.
_DROPPED_TRIGGERS: dict[str, list[str]] = {}


def label_triggers_drop(apps, schema_editor) -> None:
    """On SQLite, drop every other table's trigger that names annotator_label, keeping its SQL."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name != 'annotator_label' AND sql LIKE '%annotator_label%'"
        )
        triggers = cursor.fetchall()
    _DROPPED_TRIGGERS[connection.alias] = [sql for _, sql in triggers]
    for name, _ in triggers:
        schema_editor.execute(f'DROP TRIGGER "{name}"', params=None)


def label_triggers_create(apps, schema_editor) -> None:
    for sql in _DROPPED_TRIGGERS.pop(schema_editor.connection.alias, []):
        schema_editor.execute(sql, params=None)


def hotkey_constraint(keys: list[str]) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=~models.Q(hotkey__in=keys), name="label_hotkey_not_reserved"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0015_reserve_use_key"),
    ]

    operations = [
        migrations.RunPython(free_newly_reserved_hotkeys, migrations.RunPython.noop),
        migrations.RunPython(label_triggers_drop, label_triggers_create),
        migrations.RemoveConstraint(model_name="label", name="label_hotkey_not_reserved"),
        migrations.AddConstraint(model_name="label", constraint=hotkey_constraint(RESERVED)),
        migrations.RunPython(label_triggers_create, label_triggers_drop),
    ]
