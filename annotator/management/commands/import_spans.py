"""``manage.py import_spans FILE... --project SLUG --annotator USER | --pseudo-annotator NAME |
--suggestions``: import spans from JSON Lines, all or nothing (see
:mod:`annotator.annotation.span_imports`)."""

import contextlib
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotator.annotation.span_imports import (
    DOCUMENT_IRI,
    SpanImportError,
    SpanImportTarget,
    SpanUpload,
    import_spans,
)
from annotator.models import Project

PROGRESS_BAR_FROM_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import spans from JSON Lines files (doccano or W3C lines, as the exports write them) "
        "as a member's spans, a pseudo-annotator's spans or suggestions; all or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help=".jsonl files")
        parser.add_argument("--project", required=True, help="slug of the project")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--annotator", help="username of the member the spans belong to")
        target.add_argument(
            "--pseudo-annotator",
            help="name of a pseudo-annotator such as model:ner-v3, created on first use",
        )
        target.add_argument(
            "--suggestions", action="store_true", help="offer the spans to every annotator"
        )
        parser.add_argument(
            "--name", default="", help="the import's name (default: the first file's name)"
        )
        parser.add_argument(
            "--create-documents",
            action="store_true",
            help="create the documents of lines whose text is not in the project",
        )
        parser.add_argument(
            "--submit", action="store_true", help="hand in the annotator's assignments"
        )
        parser.add_argument(
            "--document-iri",
            default=DOCUMENT_IRI,
            help=f"template of W3C target sources (default {DOCUMENT_IRI})",
        )
        parser.add_argument("--actor", help="username recorded in the audit log as importer")

    def handle(self, *args, paths: list[Path], project: str, **options) -> None:
        try:
            target_project = Project.objects.get(slug=project)
        except Project.DoesNotExist:
            raise CommandError(f"No project with slug {project!r}.") from None
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user {options['actor']!r}.")
        if options["annotator"]:
            target = SpanImportTarget("annotator", options["annotator"])
        elif options["pseudo_annotator"]:
            target = SpanImportTarget("pseudo", options["pseudo_annotator"])
        else:
            target = SpanImportTarget("suggestions", options["name"] or paths[0].stem)
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
                SpanUpload(str(path), streams.enter_context(path.open("rb")), path.stat().st_size)
                for path in paths
            ]
            try:
                result = import_spans(
                    project=target_project,
                    uploads=uploads,
                    target=target,
                    actor=actor,
                    name=options["name"],
                    create_documents=options["create_documents"],
                    submit=options["submit"],
                    document_iri=options["document_iri"],
                    on_progress=bar.update,
                )
            except SpanImportError as error:
                raise CommandError(f"{error} Nothing was imported.") from None
        written = (
            f"{result.suggestions_created} suggestions ({result.source})"
            if target.kind == "suggestions"
            else f"{result.spans_created} spans of {result.annotator}"
        )
        self.stdout.write(
            f"Imported {written} on {result.documents} documents of {target_project.slug} "
            f"({result.documents_created} created); {result.already_present} already there."
        )
