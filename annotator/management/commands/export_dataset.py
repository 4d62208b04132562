import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotator.exports.formats import FORMATS, get_format, write_export
from annotator.exports.reader import (
    DEFAULT_SOURCE,
    SOURCES,
    ExportError,
    Selection,
    checked_counts,
    export_labels,
    read_documents,
)
from annotator.exports.records import LEFT_OUT_REASONS, ExportDocument
from annotator.exports.splits import SplitRatios
from annotator.models import Project
from annotator.wording import sentence


class Command(BaseCommand):
    help = (
        "Export a project's documents and spans (gold by default) in one format, as a "
        "directory at --out with the files of each split (train, validation, test). "
        "Nothing is written on error."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="slug of the project")
        parser.add_argument(
            "--format", required=True, dest="export_format", help=", ".join(FORMATS)
        )
        parser.add_argument(
            "--source",
            default=DEFAULT_SOURCE,
            help=f"{', '.join(SOURCES)}; default {DEFAULT_SOURCE}",
        )
        parser.add_argument("--annotator", help="username, with --source annotator")
        parser.add_argument("--out", required=True, type=Path, help="directory to create")
        parser.add_argument("--seed", default="0", help="seed of the train/validation/test split")
        parser.add_argument("--train", type=float, default=0.8)
        parser.add_argument("--validation", type=float, default=0.1)
        parser.add_argument("--test", type=float, default=0.1)

    def handle(self, *args, **options) -> None:
        out: Path = options["out"]
        try:
            project = Project.objects.get(slug=options["project"])
        except Project.DoesNotExist:
            raise CommandError(f"No project with slug {options['project']!r}.") from None
        try:
            export_format = get_format(options["export_format"])
            ratios = SplitRatios(options["train"], options["validation"], options["test"])
            selection = Selection(project, options["source"], self._annotator(options))
            counts = checked_counts(selection)
        except (ExportError, ValueError) as error:
            raise CommandError(f"{sentence(str(error))} Nothing was written.") from None
        if out.exists():
            raise CommandError(f"{out} exists. Nothing was written.")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent} is not a directory. Nothing was written.")

        # Written beside --out, then renamed: a failure leaves no partial export at --out.
        scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            with tqdm(total=counts.documents, unit="doc", file=sys.stderr) as bar:
                documents = read_documents(selection)
                written = write_export(
                    export_format,
                    _counted(documents, bar),
                    export_labels(project),
                    scratch / "export",
                    seed=options["seed"],
                    ratios=ratios,
                )
            (scratch / "export").rename(out)
        except ValueError as error:
            # A writer's refusal of the data (e.g. a span outside its text), not a bug here.
            raise CommandError(f"{sentence(str(error))} Nothing was written.") from None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.stdout.write(
            f"Wrote {out}: {written.documents} documents, {written.spans} spans; "
            f"{written.left_out_spans()} spans left out."
        )
        labels = export_labels(project)
        for reason, per_label in written.as_dict(labels)["left_out"].items():
            listed = ", ".join(f"{number} {label}" for label, number in per_label.items() if number)
            self.stdout.write(f"  {listed} left out: {LEFT_OUT_REASONS[reason]}.")
        if written.left_out_spans() and export_format.where_kept:
            self.stdout.write(f"  ({export_format.where_kept}.)")

    def _annotator(self, options: dict) -> User | None:
        if options["annotator"] is None:
            return None
        try:
            return User.objects.get(username=options["annotator"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['annotator']!r}. Nothing was written.") from None


def _counted(documents: Iterable[ExportDocument], bar: tqdm) -> Iterator[ExportDocument]:
    for document in documents:
        yield document
        bar.update()
