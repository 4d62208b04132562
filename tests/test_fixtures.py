"""The demo fixture loads and holds the articles the browser tests rely on."""

import hashlib
import json
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from annotator.models import Document, Label, Project

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
SEED = Path(settings.BASE_DIR).parent / "shared" / "corpus" / "000_c2cd7438dcd674fe.txt"
# The seed file's SHA-256, so that the check holds in a checkout without ../shared
# beside it (a CI clone elsewhere); where the file is there, it is checked too.
SEED_SHA256 = "6cd8bce5075022f325366a3d0766a8ed53e450b7e49e97e18a8b63f99bd494d8"


@pytest.fixture
def demo(db) -> Project:
    call_command("loaddata", str(FIXTURE), verbosity=0)
    return Project.objects.get(slug="security-talks")


def _by_source(project, source: str) -> Document:
    return project.documents.get(source=source)


def test_seed_document_is_the_corpus_file_byte_for_byte(demo):
    seed = _by_source(demo, "corpus/000_c2cd7438dcd674fe.txt")
    raw = seed.text.encode("utf-8")

    assert hashlib.sha256(raw).hexdigest() == SEED_SHA256
    if SEED.exists():
        assert SEED.read_bytes() == raw
    assert seed.title == seed.text.split("\n", 1)[0]
    assert seed.text.find("Sergey Lavrov") == 97


def test_demo_articles_cover_the_hard_cases(demo):
    emoji = _by_source(demo, "demo: emoji").text
    rtl = _by_source(demo, "demo: right-to-left").text
    cjk = _by_source(demo, "demo: CJK").text
    long_paragraph = _by_source(demo, "demo: long paragraph").text
    markup = _by_source(demo, "demo: literal markup")

    assert any(ord(char) > 0xFFFF for char in emoji)
    assert any(unicodedata.bidirectional(char) in ("R", "AL") for char in rtl)
    assert any(unicodedata.name(char, "").startswith("CJK UNIFIED") for char in cjk)
    assert max(len(paragraph) for paragraph in long_paragraph.split("\n\n")) > 1000
    assert "<script>alert(1)</script>" in markup.title
    assert "<" in markup.text and "&" in markup.text


def test_nfd_article_is_stored_as_nfc(demo):
    raw = next(
        record["fields"]["text"]
        for record in json.loads(FIXTURE.read_text(encoding="utf-8"))
        if record["model"] == "annotator.document"
        and record["fields"]["source"] == "demo: NFD accents"
    )
    stored = _by_source(demo, "demo: NFD accents").text

    assert not unicodedata.is_normalized("NFC", raw)  # the fixture really is decomposed
    assert stored == unicodedata.normalize("NFC", raw)
    assert "Genève" in stored


def test_every_demo_document_is_normalised_and_hashed(demo):
    for document in demo.documents.all():
        assert unicodedata.is_normalized("NFC", document.text)
        assert "\r" not in document.text
        assert len(document.text_sha256) == 64
        assert document.title.strip()
    assert demo.documents.count() == 7


def test_four_labels_with_hotkeys_one_to_four_and_distinct_colours(demo):
    labels = list(Label.objects.filter(project=demo).order_by("hotkey"))

    assert [(label.name, label.hotkey) for label in labels] == [
        ("claim", "1"),
        ("threat", "2"),
        ("proposal", "3"),
        ("actor", "4"),
    ]
    assert len({label.colour.lower() for label in labels}) == 4
    for label in labels:
        label.full_clean()
