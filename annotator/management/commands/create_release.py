"""``manage.py create_release --project SLUG --author USERNAME [--format NAME ...]``."""

import sys
from collections.abc import Iterable, Iterator

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotator.exports.formats import FORMATS
from annotator.exports.reader import ExportError
from annotator.exports.records import ExportDocument
from annotator.exports.releases import DEFAULT_LICENSE, release_create
from annotator.exports.splits import SplitRatios
from annotator.models import Project
from annotator.wording import sentence


class Command(BaseCommand):
    help = (
        "Create the next release of a project's gold data: every chosen format (default: "
        "all), the dataset card and the manifest, zipped into the default storage. "
        "Nothing is stored on error."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="slug of the project")
        parser.add_argument("--author", required=True, help="username recorded as the author")
        parser.add_argument(
            "--format",
            action="append",
            dest="formats",
            help=f"repeat for several; default all: {', '.join(FORMATS)}",
        )
        parser.add_argument("--seed", default="0", help="seed of the train/validation/test split")
        parser.add_argument("--train", type=float, default=0.8)
        parser.add_argument("--validation", type=float, default=0.1)
        parser.add_argument("--test", type=float, default=0.1)
        parser.add_argument(
            "--license", default=DEFAULT_LICENSE, help="licence identifier for the dataset card"
        )
        parser.add_argument(
            "--language",
            action="append",
            dest="languages",
            help="ISO 639-1 code, repeat for several; detected from the texts by default",
        )

    def handle(self, *args, **options) -> None:
        try:
            project = Project.objects.get(slug=options["project"])
        except Project.DoesNotExist:
            raise CommandError(f"No project with slug {options['project']!r}.") from None
        try:
            author = User.objects.get(username=options["author"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['author']!r}. Nothing was written.") from None
        try:
            ratios = SplitRatios(options["train"], options["validation"], options["test"])
            release = release_create(
                project=project,
                author=author,
                formats=options["formats"],
                seed=options["seed"],
                ratios=ratios,
                license=options["license"],
                languages=options["languages"],
                progress=progress,
            )
        except (ExportError, ValueError) as error:
            raise CommandError(f"{sentence(str(error))} Nothing was written.") from None
        self.stdout.write(
            f"Release {release.version} of {project.slug}: {len(release.document_ids)} "
            f"documents, formats {', '.join(release.formats)}; stored as {release.archive.name} "
            f"(sha256 {release.archive_sha256})."
        )


def progress(
    name: str, total: int, documents: Iterable[ExportDocument]
) -> Iterator[ExportDocument]:
    """A progress bar on stderr per format."""
    with tqdm(documents, total=total, unit="doc", desc=name, file=sys.stderr) as bar:
        yield from bar
