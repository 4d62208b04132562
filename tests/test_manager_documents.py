"""A manager's document pages: upload with the import service, find, and assign by hand."""

import json

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from annotator.annotation.assignments import assignment_create, assignment_submit
from annotator.models import Assignment, Document, GoldStatus, Project
from annotator.projects.search import UNASSIGNED, DocumentQuery, find_documents


def _jsonl(*records: dict) -> bytes:
    return b"".join(json.dumps(record, ensure_ascii=False).encode() + b"\n" for record in records)


def _documents() -> list:
    return list(Document.objects.order_by("pk").values_list("pk", "project_id", "title", "text"))


def _upload(client, *files, **headers):
    return client.post(
        reverse("documents-upload", args=["talks"]), {"files": list(files)}, **headers
    )


def test_the_manager_uploads_txt_and_jsonl_with_an_emoji(client, project, manager):
    client.force_login(manager)
    records = _jsonl(
        {"title": "Party 🎉", "text": "NATO met 🎉 in Brussels.", "meta": {"desk": "EU"}},
        {"text": "Second wire story."},
    )

    response = _upload(
        client,
        SimpleUploadedFile("wire.jsonl", records),
        SimpleUploadedFile("memo.txt", b"Memo title\n\nThe memo.\n"),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Imported 3 documents" in html
    assert "The project has 3 documents" in html
    party = Document.objects.get(title="Party 🎉")
    assert (party.text, party.metadata) == ("NATO met 🎉 in Brussels.", {"desk": "EU"})
    assert Document.objects.get(source="memo.txt").title == "Memo title"


def test_an_htmx_upload_gets_the_result_fragment(client, project, manager):
    client.force_login(manager)

    response = _upload(
        client, SimpleUploadedFile("a.txt", b"Alpha\n\nText."), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="upload-result"')
    assert "Imported 1 document." in html


def test_skipped_duplicates_are_listed_one_per_line(client, project, manager, document):
    client.force_login(manager)
    records = _jsonl({"text": document.text}, {"text": "New text."}, {"text": "New text."})

    response = _upload(client, SimpleUploadedFile("again.jsonl", records))

    html = response.content.decode()
    assert "Imported 1 document; skipped 2." in html
    assert "<li>again.jsonl line 1: skipped, the same text is already in the project" in html
    assert "<li>again.jsonl line 3: skipped" in html


def test_a_bad_line_is_a_400_naming_file_and_line_and_imports_nothing(client, project, manager):
    client.force_login(manager)
    before = _documents()
    records = _jsonl({"text": "Fine."}) + b'{"text": "broken\n'

    response = _upload(
        client, SimpleUploadedFile("ok.txt", b"Fine too."), SimpleUploadedFile("b.jsonl", records)
    )

    assert response.status_code == 400
    assert "b.jsonl line 2: invalid JSON" in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert _documents() == before


def test_an_htmx_refusal_is_a_400_fragment(client, project, manager):
    client.force_login(manager)

    response = _upload(client, SimpleUploadedFile("x.csv", b"a,b"), HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert 'id="import-error"' in response.content.decode()
    assert "only .txt and .jsonl files can be imported" in response.content.decode()


def test_an_upload_without_files_is_a_400(client, project, manager):
    client.force_login(manager)

    response = client.post(reverse("documents-upload", args=["talks"]), {})

    assert response.status_code == 400
    assert "Choose one or more .txt or .jsonl files." in response.content.decode()


def test_a_file_over_the_limit_is_refused(client, project, manager, settings):
    settings.IMPORT_MAX_FILE_BYTES = 10
    client.force_login(manager)

    response = _upload(client, SimpleUploadedFile("big.txt", b"x" * 11))

    assert response.status_code == 400
    assert "big.txt: 11 bytes is more than the limit of 10." in response.content.decode()
    assert Document.objects.count() == 0


def test_a_hostile_file_name_is_escaped(client, project, manager):
    client.force_login(manager)

    response = _upload(client, SimpleUploadedFile("<img src=x onerror=alert(1)>.txt", b" \n"))

    html = response.content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt: the file is empty." in html


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("cora", 403), ("charlie", 404)])
def test_only_managers_upload(client, project, alice, curator, charlie, who, status):
    client.force_login(User.objects.get(username=who))

    page = client.get(reverse("documents-upload", args=["talks"]))
    response = _upload(client, SimpleUploadedFile("a.txt", b"Alpha"))

    assert (page.status_code, response.status_code) == (status, status)
    assert Document.objects.count() == 0


@pytest.fixture
def corpus(project, alice, bob) -> dict[str, Document]:
    """Four documents: one assigned to alice and submitted, one to bob, one gold, one unassigned."""
    documents = {
        name: Document.objects.create(project=project, title=title, text=text)
        for name, title, text in [
            ("budget", "Budget talks", "Ministers discussed the defence budget on Monday."),
            ("border", "Border incident", "Troops crossed the border near the river."),
            ("summit", "Summit ends", "The summit ended without a joint budget statement."),
            ("emoji", "Party 🎉", "Celebrations 🎉 in the capital after the treaty."),
        ]
    }
    assignment_create(document=documents["budget"], annotator=alice)
    assignment_submit(document=documents["budget"], annotator=alice)
    assignment_create(document=documents["border"], annotator=bob)
    Document.objects.filter(pk=documents["summit"].pk).update(gold_status=GoldStatus.GOLD)
    Document.objects.create(
        project=Project.objects.create(name="Other", slug="elsewhere"),
        title="Budget elsewhere",
        text="Another project's budget.",
    )
    return documents


def _found(project, **criteria) -> set[str]:
    return set(find_documents(project, DocumentQuery(**criteria)).values_list("title", flat=True))


def test_words_match_title_or_text_of_this_project_only(project, corpus):
    assert _found(project, words="budget") == {"Budget talks", "Summit ends"}
    assert _found(project, words="BORDER") == {"Border incident"}
    assert _found(project, words="treaty") == {"Party 🎉"}
    assert _found(project, words="nothing like this") == set()


def test_the_words_follow_each_databases_rule(project, corpus):
    if connection.vendor == "postgresql":
        # Whole words in any order, phrases in quotes, -word excludes.
        assert _found(project, words="budget summit") == {"Summit ends"}
        assert _found(project, words="budget -summit") == {"Budget talks"}
        assert _found(project, words='"defence budget"') == {"Budget talks"}
        assert _found(project, words="budg") == set()
        # The parser keeps no emoji as a word: a search for one finds nothing.
        assert _found(project, words="🎉") == set()
    else:
        # One substring of the title or the text.
        assert _found(project, words="budg") == {"Budget talks", "Summit ends"}
        assert _found(project, words="defence budget") == {"Budget talks"}
        assert _found(project, words="🎉") == {"Party 🎉"}


def test_filters_by_gold_status_assignment_status_and_assignee(project, corpus, alice, bob):
    assert _found(project, gold_status="gold") == {"Summit ends"}
    assert _found(project, assignment_status="submitted") == {"Budget talks"}
    assert _found(project, assignment_status="assigned") == {"Border incident"}
    assert _found(project, assignment_status=UNASSIGNED) == {"Summit ends", "Party 🎉"}
    assert _found(project, assignee_id=alice.pk) == {"Budget talks"}
    assert _found(project, assignee_id=bob.pk, assignment_status="submitted") == set()
    assert _found(project, assignee_id=bob.pk, assignment_status=UNASSIGNED) == {
        "Budget talks",
        "Summit ends",
        "Party 🎉",
    }
    assert _found(project, words="budget", assignment_status=UNASSIGNED) == {"Summit ends"}


def test_the_search_page_lists_matches_with_their_annotators(client, project, manager, corpus):
    client.force_login(manager)

    response = client.get(reverse("document-search", args=["talks"]), {"q": "budget"})

    html = response.content.decode()
    assert response.status_code == 200
    assert [document.title for document in response.context["documents"]] == [
        "Budget talks",
        "Summit ends",
    ]
    assert "alice" in html and "Submitted" in html
    assert "Budget elsewhere" not in html


def test_the_search_pages_by_id_keeping_the_filters(client, project, manager, corpus):
    for number in range(60):
        Document.objects.create(project=project, title=f"Budget note {number}", text="budget")
    client.force_login(manager)
    url = reverse("document-search", args=["talks"])

    first = client.get(url, {"q": "budget"})
    after = first.context["next_after"]
    second = client.get(url, {"q": "budget", "after": after})

    assert len(first.context["documents"]) == 50
    assert f"q=budget&amp;after={after}" in first.content.decode()
    titles = [document.title for document in second.context["documents"]]
    assert titles == [f"Budget note {number}" for number in range(48, 60)]
    assert second.context["next_after"] is None


def test_a_bad_filter_is_a_400(client, project, manager, corpus):
    client.force_login(manager)

    response = client.get(reverse("document-search", args=["talks"]), {"gold_status": "shiny"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_search_query_count_does_not_grow_with_the_page(
    client, project, manager, corpus, alice, django_assert_max_num_queries
):
    for number in range(40):
        document = Document.objects.create(project=project, title=f"Note {number}", text="note")
        assignment_create(document=document, annotator=alice)
    client.force_login(manager)

    with django_assert_max_num_queries(9):
        client.get(reverse("document-search", args=["talks"]))


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("cora", 403), ("charlie", 404)])
def test_only_managers_search(client, project, alice, curator, charlie, who, status):
    client.force_login(User.objects.get(username=who))

    response = client.get(reverse("document-search", args=["talks"]), {"q": "budget"})

    assert response.status_code == status


def _assignments() -> list:
    return list(
        Assignment.objects.order_by("pk").values_list("document_id", "annotator_id", "status")
    )


def test_the_manager_assigns_a_document_by_hand(client, project, manager, alice, corpus):
    client.force_login(manager)
    back = reverse("document-search", args=["talks"]) + "?q=summit"

    response = client.post(
        reverse("document-assign", args=["talks", corpus["summit"].pk]),
        {"annotator": alice.pk, "next": back},
    )

    assert response.status_code == 302
    assert response["Location"] == back
    assert Assignment.objects.get(document=corpus["summit"]).annotator == alice
    project.refresh_from_db()
    assert project.assignment_required


@pytest.mark.parametrize("annotator", ["curator", "outsider", "nonsense"])
def test_assigning_to_someone_who_is_not_an_annotator_here_is_a_400(
    client, project, manager, curator, charlie, corpus, annotator
):
    value = {"curator": curator.pk, "outsider": charlie.pk, "nonsense": "x"}[annotator]
    client.force_login(manager)
    before = _assignments()

    response = client.post(
        reverse("document-assign", args=["talks", corpus["summit"].pk]), {"annotator": value}
    )

    assert response.status_code == 400
    assert "Choose an annotator of this project." in response.content.decode()
    assert _assignments() == before


def test_the_assign_form_never_redirects_off_the_search_page(
    client, project, manager, alice, corpus
):
    client.force_login(manager)

    response = client.post(
        reverse("document-assign", args=["talks", corpus["summit"].pk]),
        {"annotator": alice.pk, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("document-search", args=["talks"])


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("cora", 403), ("charlie", 404)])
def test_only_managers_assign(client, project, alice, curator, charlie, corpus, who, status):
    client.force_login(User.objects.get(username=who))
    before = _assignments()

    response = client.post(
        reverse("document-assign", args=["talks", corpus["summit"].pk]), {"annotator": alice.pk}
    )

    assert response.status_code == status
    assert _assignments() == before


def test_another_projects_document_is_not_found(client, project, manager, alice, corpus):
    elsewhere = Document.objects.get(title="Budget elsewhere")
    client.force_login(manager)
    before = _assignments()

    response = client.post(
        reverse("document-assign", args=["talks", elsewhere.pk]), {"annotator": alice.pk}
    )

    assert response.status_code == 404
    assert _assignments() == before
