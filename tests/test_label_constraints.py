"""Label names and hotkeys are unique per project; colours are #rrggbb."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotator.models import Label, Project


def _names(project) -> list[str]:
    return sorted(project.labels.values_list("name", flat=True))


@pytest.mark.parametrize("name", ["claim", "Claim", "CLAIM"])
def test_name_is_unique_per_project_ignoring_case(project, name):
    before = _names(project)

    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(project=project, name=name, colour="#123456", hotkey="9")

    assert _names(project) == before


def test_full_clean_reports_a_name_differing_only_in_case(project):
    label = Label(project=project, name="Claim", colour="#e2e8f0", hotkey="9")

    with pytest.raises(ValidationError):
        label.full_clean()


def test_the_same_name_is_fine_in_another_project(project):
    other = Project.objects.create(name="Elsewhere", slug="elsewhere")

    label = Label.objects.create(project=other, name="Claim", colour="#123456", hotkey="1")

    assert label.pk is not None
    assert _names(project) == ["actor", "claim", "proposal", "threat"]


def test_hotkey_is_unique_per_project(project):
    before = _names(project)

    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(project=project, name="event", colour="#123456", hotkey="1")

    assert _names(project) == before


@pytest.mark.parametrize("colour", ["red", "#fff", "#gggggg", "123456", ""])
def test_colour_must_be_hex_rrggbb(project, colour):
    before = _names(project)

    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(project=project, name="event", colour=colour, hotkey="5")

    assert _names(project) == before


@pytest.mark.parametrize("colour", ["#abcdef", "#ABCDEF", "#09aF3c"])
def test_hex_colours_are_accepted(project, colour):
    label = Label.objects.create(project=project, name="event", colour=colour, hotkey="5")

    label.full_clean()
    assert Label.objects.get(pk=label.pk).colour == colour


def test_full_clean_explains_a_bad_colour(project):
    label = Label(project=project, name="event", colour="red", hotkey="5")

    with pytest.raises(ValidationError) as refused:
        label.full_clean()

    assert refused.value.message_dict["colour"] == ["Enter a colour as #rrggbb."]
