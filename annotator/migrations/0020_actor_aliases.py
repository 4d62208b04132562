# Actor aliases: a curator merges actor variants into one entity of the discourse network.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0019_document_search_pending_list"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ActorAlias",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("alias", models.CharField(max_length=200)),
                ("entity", models.CharField(max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="actor_aliases",
                        to="annotator.project",
                    ),
                ),
            ],
            options={
                "ordering": ["project", "entity", "alias"],
                "constraints": [
                    models.UniqueConstraint(fields=("project", "alias"), name="actor_alias_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("alias", ""), _negated=True),
                        name="actor_alias_not_empty",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("entity", ""), _negated=True),
                        name="actor_alias_entity_not_empty",
                    ),
                ],
            },
        ),
    ]
