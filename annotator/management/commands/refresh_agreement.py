from django.core.management.base import BaseCommand, CommandError

from annotator.curation.agreement_refresh import project_agreement_rebuild
from annotator.models import Project


class Command(BaseCommand):
    help = (
        "Recompute the stored agreement of projects from their submitted spans "
        "(after loading a fixture or importing assignments)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slugs", nargs="*", help="project slugs (default: every project)")

    def handle(self, *args, slugs: list[str], **options) -> None:
        projects = Project.objects.all()
        if slugs:
            projects = projects.filter(slug__in=slugs)
            missing = set(slugs) - set(projects.values_list("slug", flat=True))
            if missing:
                raise CommandError(
                    f"No project with slug {', '.join(repr(slug) for slug in sorted(missing))}."
                )
        for project in projects:
            stored = project_agreement_rebuild(project=project)
            self.stdout.write(f"{project.slug}: agreement over {stored.documents} documents")
