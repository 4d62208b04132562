"""Migration 0017 gives projects made before it the default relation types and stance."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("annotator", "0016_reserve_suggestion_keys")]
AFTER = [("annotator", "0017_relations_attributes")]


@pytest.mark.django_db(transaction=True)
def test_existing_projects_get_the_defaults_their_labels_allow():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("annotator")
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Project, Label = old.get_model("annotator", "Project"), old.get_model("annotator", "Label")
        talks = Project.objects.create(name="Talks", slug="talks")
        for key, name in enumerate(["Claim", "threat", "actor"], start=1):
            Label.objects.create(project=talks, name=name, colour="#fde68a", hotkey=str(key))
        # A label already has the key c: claimant takes the first free key instead.
        Label.objects.create(project=talks, name="country", colour="#fde68a", hotkey="c")
        bare = Project.objects.create(name="Bare", slug="bare")
        Label.objects.create(project=bare, name="claim", colour="#fde68a", hotkey="1")

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new = executor.loader.project_state(AFTER).apps
        RelationType = new.get_model("annotator", "RelationType")
        LabelAttribute = new.get_model("annotator", "LabelAttribute")
        types = {t.name: t for t in RelationType.objects.filter(project__slug="talks")}
        assert set(types) == {"claimant", "addressee"}
        assert (types["claimant"].key, types["addressee"].key) == ("0", "d")
        assert sorted(label.name for label in types["claimant"].source_labels.all()) == [
            "Claim",
            "threat",
        ]
        assert [label.name for label in types["addressee"].target_labels.all()] == ["actor"]
        stances = LabelAttribute.objects.filter(name="stance").order_by("label__project__slug")
        assert [(s.label.project.slug, s.label.name) for s in stances] == [
            ("bare", "claim"),
            ("talks", "Claim"),
            ("talks", "threat"),
        ]
        assert not RelationType.objects.filter(project__slug="bare").exists()
    finally:
        MigrationExecutor(connection).migrate(latest)
