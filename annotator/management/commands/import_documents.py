import contextlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries
from tqdm import tqdm

from annotator.annotation.imports import DocumentImportError, UploadedText, import_documents
from annotator.models import Project
from annotator.wording import sentence

PROGRESS_BAR_FROM_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import documents from .txt files (title = first line) and JSONL files, all or nothing, "
        "streamed: files of any size."
    )

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
                desc="Importing",
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                # "12.3MB/153MB", not tqdm's bare "12.3M/153M".
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B "
                "[{elapsed}<{remaining}, {rate_fmt}{postfix}]",
                disable=total < PROGRESS_BAR_FROM_BYTES,
                file=sys.stderr,
            ) as bar,
        ):

            def progress(byte_count: int, documents: int) -> None:
                # Bytes of the total, and documents: where an error stops, the bar shows it.
                bar.set_postfix_str(f"{documents:,} documents", refresh=False)
                bar.update(byte_count)
                # With DEBUG on, Django keeps every query's SQL, the documents' text included:
                # 300 MB more at 50,000 documents. Nothing here reads that log.
                reset_queries()

            uploads = [
                UploadedText(str(path), streams.enter_context(path.open("rb")), path.stat().st_size)
                for path in paths
            ]
            try:
                # Run on the server by an administrator: any size, streamed (no upload limit).
                result = import_documents(
                    project=target, uploads=uploads, on_progress=progress, limit_size=False
                )
            except DocumentImportError as error:
                raise CommandError(f"{sentence(str(error))} Nothing was imported.") from None
        for notice in result.skipped:
            self.stderr.write(notice)
        self.stdout.write(
            f"Imported {result.created} documents into {target.slug}; "
            f"skipped {len(result.skipped)} duplicates."
        )
