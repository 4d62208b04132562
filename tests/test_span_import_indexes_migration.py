"""Migration 0022 drops the span indexes composite ones cover, and undoes cleanly."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("annotator", "0021_gold_relations_attributes")]
AFTER = [("annotator", "0022_span_import_indexes")]
DROPPED = {
    "annotator_span_document_id_718da355",
    "annotator_span_suggestion_id_83ee36a4",
    "annotator_suggestion_document_id_4275acde",
}


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return {
            name
            for table in ("annotator_span", "annotator_suggestion")
            for name, about in connection.introspection.get_constraints(cursor, table).items()
            if about["index"]
        }


def _trigger_functions() -> dict[str, str]:
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname IN ('annotator_tally_spans', "
            "'annotator_span_phrase_version', 'annotator_spans_fit_documents')"
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_indexes_and_trigger_functions_go_forward_and_back():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("annotator")
    executor.migrate(BEFORE)
    try:
        before, functions_before = _indexes(), _trigger_functions()
        MigrationExecutor(connection).migrate(AFTER)
        after, functions_after = _indexes(), _trigger_functions()
        MigrationExecutor(connection).migrate(BEFORE)

        assert before >= DROPPED and "span_suggestion_set" not in before
        assert after == before - DROPPED | {"span_suggestion_set"}
        assert _indexes() == before
        if connection.vendor == "postgresql":
            assert len(functions_after) == 3
            assert all("JOIN annotator_document" in body for body in functions_before.values())
            assert all("JOIN annotator_document" not in body for body in functions_after.values())
            assert _trigger_functions() == functions_before
    finally:
        MigrationExecutor(connection).migrate(latest)
