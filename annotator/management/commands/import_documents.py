import contextlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotator.annotation.imports import DocumentImportError, UploadedText, import_documents
from annotator.models import Project
from annotator.wording import sentence

PROGRESS_BAR_FROM_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = "Import documents from .txt files (title = first line) and JSONL files, all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help=".txt or .jsonl files")
        parser.add_argument("--project", required=True, help="slug of the project")

    def handle(self, *args, paths: list[Path], project: str, **options) -> None:
        try:
            target = Project.objects.get(slug=project)
        except Project.DoesNotExist:
            raise CommandError(f"No project with slug {project!r}.") from None
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
        total = sum(path.stat().st_size for path in paths)
        with (
            contextlib.ExitStack() as streams,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                disable=total < PROGRESS_BAR_FROM_BYTES,
                file=sys.stderr,
            ) as bar,
        ):
            uploads = [
                UploadedText(str(path), streams.enter_context(path.open("rb")), path.stat().st_size)
                for path in paths
            ]
            try:
                result = import_documents(project=target, uploads=uploads, on_progress=bar.update)
            except DocumentImportError as error:
                raise CommandError(f"{sentence(str(error))} Nothing was imported.") from None
        for notice in result.skipped:
            self.stderr.write(notice)
        self.stdout.write(
            f"Imported {result.created} documents into {target.slug}; "
            f"skipped {len(result.skipped)} duplicates."
        )
