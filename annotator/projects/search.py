"""Finding a project's documents by words, gold status, assignment status and assignee.

On PostgreSQL the words are matched by full-text search against
``annotator_document.search_vector``, a stored generated column (migration 0008)
holding ``to_tsvector('simple', title || ' ' || left(text, 100000))`` under a GIN
index: whole words, case-insensitive, no stemming (the corpus mixes languages),
with ``websearch_to_tsquery``'s syntax ("a phrase", ``or``, ``-word``). Only the
first 100,000 characters of a text are indexed, which keeps every document's
vector under PostgreSQL's 1 MB limit. The column exists only there: SQLite has
neither, and matches the words as one substring of the title or the text
(``icontains``).

The other criteria are plain filters; the caller pages the result by id.
"""

from dataclasses import dataclass

from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from ..models import Assignment, Document, Project

UNASSIGNED = "unassigned"
# Characters of a text the PostgreSQL index covers (migration 0008 spells it too).
INDEXED_TEXT_CHARACTERS = 100_000


@dataclass(frozen=True)
class DocumentQuery:
    """What to look for; empty fields do not filter.

    ``assignment_status`` is an ``AssignmentStatus`` value or ``UNASSIGNED``; with an
    ``assignee`` it is that annotator's assignment (``UNASSIGNED``: not theirs).
    """

    words: str = ""
    gold_status: str = ""
    assignment_status: str = ""
    assignee_id: int | None = None


def how_words_match(using: str = "default") -> str:
    """Say, for the search form, how the database ``using`` matches words."""
    if connections[using].vendor == "postgresql":
        return (
            "Words are whole words of the title or the text, in any case and order; "
            '"quoted words" are a phrase, -word excludes, or gives alternatives.'
        )
    return "Words match a part of the title or the text, as typed (one phrase)."


def _matching_words(documents: QuerySet[Document], words: str) -> QuerySet[Document]:
    if connections[documents.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVectorField

        # The column is no model field (SQLite has none), so it is named here; the words
        # reach the database only as a parameter of SearchQuery.
        column = f'"{Document._meta.db_table}"."search_vector"'
        vector = RawSQL(column, [], output_field=SearchVectorField())  # noqa: S611
        query = SearchQuery(words, config="simple", search_type="websearch")
        return documents.alias(search_vector=vector).filter(search_vector=query)
    return documents.filter(Q(title__icontains=words) | Q(text__icontains=words))


def find_documents(project: Project, query: DocumentQuery) -> QuerySet[Document]:
    """The project's documents that meet every criterion of ``query``, unordered."""
    documents = project.documents.all()
    words = query.words.strip()
    if words:
        documents = _matching_words(documents, words)
    if query.gold_status:
        documents = documents.filter(gold_status=query.gold_status)
    assignments = Assignment.objects.filter(document=OuterRef("pk"))
    if query.assignee_id is not None:
        assignments = assignments.filter(annotator_id=query.assignee_id)
    if query.assignment_status == UNASSIGNED:
        documents = documents.filter(~Exists(assignments))
    elif query.assignment_status:
        documents = documents.filter(Exists(assignments.filter(status=query.assignment_status)))
    elif query.assignee_id is not None:
        documents = documents.filter(Exists(assignments))
    return documents
