"""Releases: immutable, numbered snapshots of a project's gold data, stored as one zip.

:func:`release_create` works in three steps:

1. Read: the gold documents are read once, from one consistent snapshot of the
   database (:func:`consistent_reads`), into a spool file in a scratch
   directory, with everything else the manifest needs (project, labels,
   counts, agreement). A curator editing gold meanwhile changes nothing in
   the release, and every format holds the same documents and spans.
2. Write: every chosen format is written from the spool straight into the zip
   (:class:`ReleaseZip`, in a temporary file), each file's SHA-256 taken as its
   bytes go by, outside any transaction, so a long build holds no snapshot open
   and its progress callback may write to the database. No folder of the
   release is written to disk: brat alone would be two files per document.
3. Store: in a transaction of its own, with the project locked, the version
   number is checked (the zip's folder is named after it, so the zip is built for
   the next version as read before the build, and built again if another release
   took it meanwhile), the dataset card (``README.md``, see
   :mod:`annotator.exports.card`) and the manifest (``release.json``) are added
   and the zip closed, stored (through Django's default storage) and recorded in a
   :class:`~annotator.models.Release` row, which the database refuses to update.

Layout of the zip, every entry under ``<slug>-v<version>/``, each format a
folder of its files by split (see :mod:`annotator.exports.formats`)::

    data/jsonl/train.jsonl  data/jsonl/validation.jsonl  data/jsonl/test.jsonl
    data/doccano-entities/train.jsonl ...  data/conll/train.conll ...
    data/w3c/train/annotations.jsonl  data/w3c/train/documents.jsonl ...
    data/brat/train/annotation.conf  data/brat/train/<id>.txt  data/brat/train/<id>.ann ...
    data/spacy/train/00000.spacy ...  data/spacy/dev/00000.spacy ...  data/spacy/test/...
    data/huggingface/train-00000-of-00001.parquet ...
    README.md  release.json

``release.json`` lists every document's split (``splits.documents``), and the
card states the rule that assigned them (:func:`~annotator.exports.splits.rule_in_words`).

Reproducible to the byte: entries are in the order they are written (the formats
in the order of ``FORMATS``, each format's files in the order its writer makes them,
then ``README.md`` and ``release.json``) and carry a fixed time, and the data files
depend only on the gold data, labels, seed and ratios, never on the release time,
author or version (those go into ``README.md`` and ``release.json`` only), so the
same data and version give the same data entries. ``release.json`` and
``Release.files`` give the SHA-256 of every file but ``release.json`` itself, keyed
by its path under the folder, sorted.
"""

import hashlib
import json
import pickle
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import BinaryIO

from django.contrib.auth.models import User
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from annotator.exports.card import dataset_card, detect_languages
from annotator.exports.formats import (
    FORMATS,
    ExportFormat,
    Tally,
    export_entries,
    folder_entries,
    get_format,
    write_export,
)
from annotator.exports.reader import (
    ExportError,
    Selection,
    checked_counts,
    export_labels,
    read_documents,
    relation_schema,
)
from annotator.exports.records import ZIP_DATE_TIME, ExportDocument
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split
from annotator.exports.zipstream import COMPRESSION_LEVEL
from annotator.models import Project, ProjectAgreement, Release

DEFAULT_LICENSE = "other"
DATA_FOLDER = "data"
CARD_NAME = "README.md"
MANIFEST_NAME = "release.json"
#: Documents whose texts the language detection reads, and how much of each.
LANGUAGE_SAMPLE = 200
LANGUAGE_SAMPLE_CHARACTERS = 3000
#: Attempts at the next version number where the database cannot lock the project (SQLite).
VERSION_ATTEMPTS = 3
#: Names the split rule in ``release.json``; the card states it in full.
SPLIT_RULE = "sha256(seed:id)[:8] / 2**64 against cumulative ratios (see README.md)"

#: Wraps each format's stream of documents, e.g. in a progress bar:
#: (format name, documents in the release, the documents).
Progress = Callable[[str, int, Iterable[ExportDocument]], Iterable[ExportDocument]]
#: Called with the new release inside the transaction that stores it.
OnStored = Callable[[Release], None]


@dataclass
class GoldTally:
    """Documents and spans per label and split, counted while the first format is written."""

    labels: Sequence[str]
    seed: str
    ratios: SplitRatios
    document_ids: list[int] = field(default_factory=list)
    split_ids: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in SPLIT_NAMES})
    documents: Counter = field(default_factory=Counter)
    spans: dict[str, Counter] = field(default_factory=lambda: {s: Counter() for s in SPLIT_NAMES})
    #: Relations per type, over all splits.
    relations: Counter = field(default_factory=Counter)

    def counting(self, documents: Iterable[ExportDocument]) -> Iterator[ExportDocument]:
        for document in documents:
            split = assign_split(document.id, self.seed, self.ratios)
            self.document_ids.append(document.id)
            self.split_ids[split].append(document.id)
            self.documents[split] += 1
            self.spans[split].update(span.label for span in document.spans)
            self.relations.update(relation.type for relation in document.relations)
            yield document

    def as_dict(self) -> dict:
        return {
            "documents": {split: self.documents[split] for split in SPLIT_NAMES},
            "spans": {
                split: {label: self.spans[split][label] for label in self.labels}
                for split in SPLIT_NAMES
            },
            "labels": {
                label: sum(self.spans[split][label] for split in SPLIT_NAMES)
                for label in self.labels
            },
        }


def data_path(export_format: ExportFormat) -> str:
    """Where a format's folder sits in the release folder."""
    return f"{DATA_FOLDER}/{export_format.name}"


def parquet_splits(directory: Path) -> dict[str, dict[str, int]]:
    """Rows and bytes of each split's Parquet files, as a card's ``dataset_info.splits``
    states them: ``num_bytes`` is the uncompressed size of the data, as ``datasets``
    counts it."""
    import pyarrow.parquet as pq  # only here: the release worker is the one process that needs it

    splits: dict[str, dict[str, int]] = {}
    for split in SPLIT_NAMES:
        for path in sorted(directory.glob(f"{split}-*.parquet")):
            metadata = pq.read_metadata(path)
            figures = splits.setdefault(split, {"num_examples": 0, "num_bytes": 0})
            figures["num_examples"] += metadata.num_rows
            figures["num_bytes"] += sum(
                metadata.row_group(group).total_byte_size
                for group in range(metadata.num_row_groups)
            )
    return splits


class ReleaseZip:
    """The release's zip, written entry by entry while the formats write their files,
    each file's SHA-256 taken as its bytes go by (no folder of the release on disk).

    Every entry is under ``<prefix>/``, with a fixed time and mode; text is deflated,
    and an entry its format marks as compressed already (DocBin, Parquet) is stored.
    The zip is written to a seekable file, so each entry's sizes go into its local
    header and the same entries in the same order give the same bytes.
    """

    def __init__(self, stream: BinaryIO, *, prefix: str) -> None:
        self.archive = zipfile.ZipFile(stream, "w")
        self.prefix = prefix
        #: SHA-256 of every file written, keyed by its path under ``prefix/``.
        self.files: dict[str, str] = {}

    def add(self, name: str, pieces: Iterable[bytes], *, compress: bool = True) -> None:
        info = zipfile.ZipInfo(f"{self.prefix}/{name}", date_time=ZIP_DATE_TIME)
        info.create_system = 3
        info.external_attr = 0o644 << 16
        if compress:
            info.compress_type = zipfile.ZIP_DEFLATED
            # What ZipFile.open reads for a ZipInfo it is given (``compress_level`` from 3.13).
            info._compresslevel = COMPRESSION_LEVEL
        digest = hashlib.sha256()
        with self.archive.open(info, "w", force_zip64=True) as target:
            for piece in pieces:
                digest.update(piece)
                target.write(piece)
        self.files[name] = digest.hexdigest()

    def close(self) -> None:
        """Write the zip's central directory; nothing can be added after. Once only."""
        self.archive.close()

    def __enter__(self) -> "ReleaseZip":
        return self

    def __exit__(self, *exception: object) -> None:
        # Closed before its file, even when the build failed (else ZipFile closes it
        # when collected, after the file has gone).
        self.close()


def chosen_formats(names: Iterable[str] | None) -> list[ExportFormat]:
    """The formats named (all by default), each once, in the order of ``FORMATS``."""
    if names is None:
        return list(FORMATS.values())
    wanted = {get_format(name).name for name in names}
    if not wanted:
        raise ExportError("Choose at least one format for the release.")
    return [export_format for name, export_format in FORMATS.items() if name in wanted]


def _agreement(project: Project) -> dict | None:
    return (
        ProjectAgreement.objects.filter(project=project).values_list("summary", flat=True).first()
    )


@contextmanager
def consistent_reads() -> Iterator[None]:
    """Run the reads inside on one snapshot of the database, in a transaction of their own.

    PostgreSQL: the transaction's first statement makes it ``REPEATABLE READ,
    READ ONLY``, so every query in it sees the data as committed when the first
    one ran. SQLite: a transaction reads one snapshot from its first read to its
    end (in WAL mode writers go on meanwhile; in the default rollback-journal
    mode they wait until it ends, up to the busy timeout).

    The transaction is durable: nobody may nest it in theirs, whose isolation
    could no longer change. Only a test case's transaction may hold it (Django
    allows that); the reads then run at that transaction's isolation.
    """
    inside_test_case = connection.in_atomic_block
    with transaction.atomic(durable=True):
        if connection.vendor == "postgresql" and not inside_test_case:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


@dataclass
class GoldSnapshot:
    """What a release reads of the database, read at one instant (see :func:`read_gold`).

    The documents are in ``spool``, pickled one after another in id order; the
    file is written and read by this module only, in its own scratch directory.
    """

    project: Project
    labels: list[str]
    tally: GoldTally
    language_sample: list[str]
    agreement: dict | None
    spool: Path
    #: The project's relation types and span attributes (see ``reader.relation_schema``).
    schema: dict[str, list[dict]]

    @property
    def total(self) -> int:
        return len(self.tally.document_ids)

    def documents(self) -> Iterator[ExportDocument]:
        with self.spool.open("rb") as stream:
            while True:
                try:
                    yield pickle.load(stream)  # noqa: S301 - our own scratch file, see above
                except EOFError:
                    return


def read_gold(project: Project, spool: Path, *, seed: str, ratios: SplitRatios) -> GoldSnapshot:
    """Read the project's gold documents into ``spool``, and all else a release records,
    from one snapshot. Raises :class:`ExportError` if no document is gold."""
    with consistent_reads():
        project = Project.objects.get(pk=project.pk)
        selection = Selection(project, "gold")
        checked_counts(selection)
        labels = export_labels(project)
        tally = GoldTally(labels, seed, ratios)
        language_sample = []
        with spool.open("xb") as stream:
            for document in tally.counting(read_documents(selection)):
                if len(language_sample) < LANGUAGE_SAMPLE:
                    language_sample.append(document.text[:LANGUAGE_SAMPLE_CHARACTERS])
                pickle.dump(document, stream, protocol=pickle.HIGHEST_PROTOCOL)
        agreement = _agreement(project)
        schema = relation_schema(project)
    return GoldSnapshot(project, labels, tally, language_sample, agreement, spool, schema)


def release_create(
    *,
    project: Project,
    author: User,
    formats: Iterable[str] | None = None,
    seed: str = "0",
    ratios: SplitRatios | None = None,
    license: str = DEFAULT_LICENSE,
    languages: Sequence[str] | None = None,
    progress: Progress | None = None,
    on_stored: OnStored | None = None,
) -> Release:
    """Build, store and record the next release of the project's gold data.

    ``formats`` are names from ``FORMATS`` (default: all). ``license`` is the
    card's licence identifier (Hugging Face ``license`` values, e.g.
    ``cc-by-4.0``); the project records none, so it defaults to ``"other"``.
    ``languages`` are ISO 639-1 codes; by default they are detected from the
    texts of the first gold documents. ``progress`` wraps each format's stream
    of documents (the command shows a progress bar with it, the release worker
    records it on the job); it runs outside any transaction. ``on_stored`` is
    called with the release inside the transaction that stores it, so that what
    it writes commits with the release or not at all; if it raises, nothing is
    stored.

    The zip's folder is named after the version, known for sure only under the
    project lock in :func:`_store`: the zip is built for the next version as it
    stands before the build, and built again if another release took it meanwhile.

    Raises :class:`ExportError`, with nothing stored and no row written, for an
    unknown format or a project without gold documents.
    """
    export_formats = chosen_formats(formats)
    ratios = ratios or SplitRatios()
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        gold = read_gold(project, Path(scratch) / "gold.pickle", seed=str(seed), ratios=ratios)
        manifest = {
            "project": {"name": gold.project.name, "slug": gold.project.slug},
            "author": author.get_username(),
            "source": "gold",
            "labels": gold.labels,
            "languages": list(languages) if languages else detect_languages(gold.language_sample),
            "license": license,
            "formats": {},
            "splits": {
                "seed": str(seed),
                "ratios": ratios.as_dict(),
                "rule": SPLIT_RULE,
                "documents": {split: gold.tally.split_ids[split] for split in SPLIT_NAMES},
            },
            "counts": gold.tally.as_dict(),
            "relation_types": [
                relation_type | {"relations": gold.tally.relations[relation_type["name"]]}
                for relation_type in gold.schema["relation_types"]
            ],
            "attributes": gold.schema["attributes"],
            "agreement": gold.agreement,
            "guidelines_version": gold.project.guidelines_version,
            "documents": gold.tally.document_ids,
        }
        for attempt in count(1):
            version = _next_version(gold.project)
            prefix = f"{gold.project.slug}-v{version}"
            with (
                tempfile.TemporaryFile(dir=scratch) as stream,
                ReleaseZip(stream, prefix=prefix) as archive,
            ):
                manifest["formats"] = write_formats(
                    archive,
                    gold,
                    export_formats,
                    scratch=Path(scratch),
                    seed=str(seed),
                    ratios=ratios,
                    progress=progress,
                )
                try:
                    return _store(
                        gold.project, author, archive, stream, version, manifest, on_stored
                    )
                except (IntegrityError, VersionTaken) as error:
                    # Another release took the version between our read and the store.
                    if attempt < VERSION_ATTEMPTS:
                        continue
                    if isinstance(error, VersionTaken):
                        raise ExportError(
                            f"Other releases of this project were stored while this one was "
                            f"built, {VERSION_ATTEMPTS} times in a row: build it again."
                        ) from None
                    raise


def write_formats(
    archive: ReleaseZip,
    gold: GoldSnapshot,
    export_formats: Sequence[ExportFormat],
    *,
    scratch: Path,
    seed: str,
    ratios: SplitRatios,
    progress: Progress | None,
) -> dict[str, dict]:
    """Write each format's files into the zip under ``data/<format>/``, in the order they
    are written; return what the manifest says of each format.

    Formats written front to back go straight into the zip (their later splits
    spooled in ``scratch``); Hugging Face, which writes its splits side by side,
    is built in ``scratch`` first and its files copied in.
    """
    written = {}
    for export_format in export_formats:
        documents: Iterable[ExportDocument] = gold.documents()
        if progress is not None:
            documents = progress(export_format.name, gold.total, documents)
        tally = Tally()
        with tempfile.TemporaryDirectory(prefix=f"{export_format.name}-", dir=scratch) as files:
            try:
                if export_format.streams:
                    entries = export_entries(
                        export_format,
                        documents,
                        gold.labels,
                        seed=seed,
                        ratios=ratios,
                        scratch=Path(files),
                        tally=tally,
                    )
                else:
                    folder = Path(files) / export_format.name
                    write_export(
                        export_format,
                        documents,
                        gold.labels,
                        folder,
                        seed=seed,
                        ratios=ratios,
                        tally=tally,
                    )
                    entries = folder_entries(folder)
                for entry in entries:
                    name = f"{data_path(export_format)}/{entry.name}"
                    archive.add(name, entry.pieces(), compress=entry.compress)
            except ValueError as error:
                # A writer's refusal of the data, said in its words.
                raise ExportError(
                    f"The {export_format.title} files could not be written: {error}."
                ) from None
            written[export_format.name] = {
                "title": export_format.title,
                "path": data_path(export_format),
                "layout": export_format.layout,
                **tally.total.as_dict(gold.labels),
                "left_out_still_in": export_format.where_kept,
            }
            if export_format.name == "huggingface":
                written[export_format.name]["splits"] = parquet_splits(folder)
    return written


class VersionTaken(Exception):
    """Another release was stored while this one was built for the same version."""


def _next_version(project: Project) -> int:
    return (project.releases.aggregate(latest=Max("version"))["latest"] or 0) + 1


def _store(
    project: Project,
    author: User,
    archive: ReleaseZip,
    stream: BinaryIO,
    version: int,
    manifest: dict,
    on_stored: OnStored | None,
) -> Release:
    """Card, manifest, zip and row, in one transaction with the project locked.

    Raises :class:`VersionTaken` if ``version``, which the zip was built for, is no
    longer the next one. The stored zip is deleted again if anything after
    storing it fails.
    """
    stored_name = None
    try:
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            if _next_version(locked) != version:
                raise VersionTaken(version)
            created = timezone.now()
            manifest = {"version": version, "created": created.isoformat(), **manifest}
            card = dataset_card(manifest, description=project.description)
            archive.add(CARD_NAME, [card.encode("utf-8")])
            manifest["files"] = dict(sorted(archive.files.items()))
            text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            archive.add(MANIFEST_NAME, [text.encode("utf-8")])
            archive.close()
            stream.seek(0)
            archive_sha256 = hashlib.file_digest(stream, "sha256").hexdigest()
            stream.seek(0)
            release = Release(
                project=project,
                version=version,
                author=author,
                source=manifest["source"],
                formats=list(manifest["formats"]),
                splits={key: manifest["splits"][key] for key in ("seed", "ratios", "rule")},
                document_ids=manifest["documents"],
                counts=manifest["counts"],
                agreement=manifest["agreement"],
                guidelines_version=manifest["guidelines_version"],
                files=manifest["files"],
                archive_sha256=archive_sha256,
            )
            release.archive.save(f"{archive.prefix}.zip", File(stream), save=False)
            stored_name = release.archive.name
            release.save(force_insert=True)
            if on_stored is not None:
                on_stored(release)
        stored_name = None
        return release
    finally:
        if stored_name is not None:
            Release.archive.field.storage.delete(stored_name)
