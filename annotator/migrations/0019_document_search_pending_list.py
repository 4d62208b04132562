"""Let the document search index take a large import without merging it on the way
(PostgreSQL).

Inserting a document adds its words to the GIN index of ``search_vector``
(migration 0008). With GIN's default 4 MB pending list, an import of 1,000
documents of 3,000 characters filled and merged the list several times inside
the import: 2.0 s with the index against 0.8 s without it. With a 32 MB list the
words are appended and merged later by autovacuum (or the next import that
fills it), so the person importing no longer waits for the merge: 1.5 s against
3.6 s on the same loaded machine. A search reads the pending list besides the
index, so until autovacuum merges it a search after a large import scans up to
32 MB more; bounded, and gone at the next vacuum.
"""

from django.db import migrations

INDEX = "annotator_document_search_vector"
PENDING_LIST_KB = 32 * 1024


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER INDEX {INDEX} SET (fastupdate = on, gin_pending_list_limit = {PENDING_LIST_KB})"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {INDEX} RESET (fastupdate, gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0018_span_checks_per_statement"),
    ]

    operations = [migrations.RunPython(forward, backward)]
