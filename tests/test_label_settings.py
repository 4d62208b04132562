"""A manager edits labels from the app: names, readable colours, keys the pages leave free.

The reserved keys are read back from the scripts that bind them, so a key added to
a page without being added to ``models.RESERVED_KEYS`` fails here.
"""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse

from annotator.models import RESERVED_HOTKEYS, RESERVED_KEYS, Label, Span
from annotator.projects.colours import INK, MINIMUM_CONTRAST, PALETTE, contrast_ratio

STATIC = Path(__file__).resolve().parent.parent / "annotator" / "static" / "annotator"


MODIFIERS = {"Shift", "Control", "Alt", "Meta"}


def _bound_keys() -> set[str]:
    """Every key the pages' scripts compare ``event.key`` with, or map in their ``keys``."""
    keys = set()
    for script in ("selection.js", "annotate.js", "adjudicate.js"):
        source = (STATIC / script).read_text(encoding="utf-8")
        keys.update(re.findall(r'event\.key(?:\.toLowerCase\(\))? === "([^"]+)"', source))
        for block in re.findall(r"keys: \{(.*?)\n    \},", source, flags=re.S):
            keys.update(re.findall(r"^\s+(\w+): ", block, flags=re.M))
    # A modifier pressed alone (the Shift of Shift+Tab while picking a relation's
    # target) is let through, not bound; no label can have it as its key.
    return keys - MODIFIERS


def test_every_key_the_pages_bind_is_reserved():
    bound = _bound_keys()

    assert {"n", "p", "a", "A", "e", "z", "Escape", "Delete", "Backspace"} <= bound
    assert bound <= set(RESERVED_KEYS)


def test_the_database_refuses_a_reserved_hotkey(project):
    before = list(Label.objects.values_list("pk", "hotkey"))

    for key in RESERVED_HOTKEYS:
        with pytest.raises(IntegrityError), transaction.atomic():
            Label.objects.create(project=project, name=f"key {key}", colour="#e2e8f0", hotkey=key)

    assert RESERVED_HOTKEYS == ["a", "e", "n", "p", "s", "u", "x", "z"]
    assert list(Label.objects.values_list("pk", "hotkey")) == before


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    # Published figures: black on white, and WebAIM's darkest greys on white that pass or fail AA.
    [("#000000", "#ffffff", 21.0), ("#767676", "#ffffff", 4.54), ("#777777", "#ffffff", 4.48)],
)
def test_contrast_ratio_matches_published_figures(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_every_palette_colour_keeps_the_ink_readable():
    assert all(contrast_ratio(colour, INK) >= MINIMUM_CONTRAST for colour in PALETTE)
    assert len(set(PALETTE)) == len(PALETTE) >= 8


def test_the_ink_is_the_pages_text_colour():
    css = (STATIC / "annotate.css").read_text(encoding="utf-8")

    assert re.search(r"--ink:\s*(#[0-9a-fA-F]{6})", css).group(1).lower() == INK


def _labels() -> list:
    return list(
        Label.objects.order_by("pk").values_list("pk", "name", "colour", "hotkey", "description")
    )


def _edit(client, label: Label, **fields):
    data = {"name": label.name, "colour": label.colour, "hotkey": label.hotkey, "description": ""}
    data.update(fields)
    return client.post(
        reverse("label-edit", args=[label.project.slug, label.pk]),
        {f"label-{label.pk}-{name}": value for name, value in data.items()},
    )


def test_the_manager_renames_recolours_and_rekeys_a_label_in_use(client, manager, alice_span):
    client.force_login(manager)
    actor = alice_span.label

    response = _edit(
        client, actor, name="Actor or group", colour="#DDD6FE", hotkey="g", description="Who."
    )

    actor.refresh_from_db()
    assert response.status_code == 302
    assert (actor.name, actor.colour, actor.hotkey, actor.description) == (
        "Actor or group",
        "#ddd6fe",
        "g",
        "Who.",
    )
    assert Span.objects.get(pk=alice_span.pk).label_id == actor.pk


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"hotkey": "n"}, "hotkey", "n is taken by the annotation pages: it opens the next"),
        ({"hotkey": "e"}, "hotkey", "moves the selected gold span"),
        ({"hotkey": "1"}, "hotkey", "1 is already the key of claim"),
        ({"hotkey": "G"}, "hotkey", "one digit or lower-case letter"),
        ({"name": "CLAIM"}, "name", "already has a label named CLAIM"),
        ({"name": " "}, "name", "required"),
        ({"colour": "#333333"}, "colour", "hard to read"),
        ({"colour": "blue"}, "colour", "#rrggbb"),
    ],
)
def test_a_bad_label_edit_is_a_400_and_changes_nothing(
    client, manager, labels, fields, field, message
):
    client.force_login(manager)
    before = _labels()

    response = _edit(client, labels["actor"], **fields)

    assert response.status_code == 400
    [edited] = [label for label in response.context["labels"] if label.pk == labels["actor"].pk]
    assert message in " ".join(edited.form.errors[field])
    assert _labels() == before


def test_the_contrast_refusal_says_the_rule(client, manager, labels):
    client.force_login(manager)

    response = _edit(client, labels["actor"], colour="#4b5563")

    html = response.content.decode()
    assert "contrast with the text colour #1f2933 is" in html
    assert "below 4.5:1" in html


def test_the_manager_adds_a_label(client, manager, project):
    client.force_login(manager)

    response = client.post(
        reverse("labels", args=[project.slug]),
        {"new-name": "event", "new-colour": "#a5f3fc", "new-hotkey": "5", "new-description": ""},
    )

    assert response.status_code == 302
    assert project.labels.get(name="event").hotkey == "5"


def test_a_new_label_with_a_reserved_key_is_refused(client, manager, project):
    client.force_login(manager)
    before = _labels()

    response = client.post(
        reverse("labels", args=[project.slug]),
        {"new-name": "event", "new-colour": "#a5f3fc", "new-hotkey": "p"},
    )

    assert response.status_code == 400
    assert "p is taken by the annotation pages" in response.content.decode()
    assert _labels() == before


def test_an_unused_label_is_deleted(client, manager, labels):
    client.force_login(manager)

    response = client.post(reverse("label-delete", args=["talks", labels["threat"].pk]))

    assert response.status_code == 302
    assert not Label.objects.filter(pk=labels["threat"].pk).exists()


def test_a_label_in_use_is_not_deleted(client, manager, alice_span):
    client.force_login(manager)
    before = _labels()

    response = client.post(reverse("label-delete", args=["talks", alice_span.label.pk]))

    assert response.status_code == 400
    assert "actor is used by 1 span and 0 gold spans, so it cannot be deleted" in (
        response.content.decode()
    )
    assert _labels() == before


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("cora", 403), ("charlie", 404)])
def test_only_managers_change_labels(client, labels, alice, curator, charlie, who, status):
    client.force_login(User.objects.get(username=who))
    before = _labels()

    responses = [
        _edit(client, labels["actor"], name="taken"),
        client.post(reverse("label-delete", args=["talks", labels["threat"].pk])),
        client.post(
            reverse("labels", args=["talks"]),
            {"new-name": "event", "new-colour": "#a5f3fc", "new-hotkey": "5"},
        ),
    ]

    assert [response.status_code for response in responses] == [status] * 3
    assert _labels() == before


def test_another_projects_label_is_not_found(client, manager, charlie):
    other_label = Label.objects.create(
        project=charlie.memberships.get().project, name="x", colour="#e2e8f0", hotkey="1"
    )
    client.force_login(manager)
    before = _labels()

    response = client.post(reverse("label-delete", args=["talks", other_label.pk]))

    assert response.status_code == 404
    assert _labels() == before


def test_label_names_are_escaped_on_the_labels_page(client, manager, project):
    Label.objects.create(
        project=project, name="<script>alert(1)</script>", colour="#e2e8f0", hotkey="9"
    )
    client.force_login(manager)

    html = client.get(reverse("labels", args=[project.slug])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
