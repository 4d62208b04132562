"""manage.py export_dataset: writes an export that loads; on any error, writes nothing."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotator.exports.splits import SplitRatios, assign_split
from annotator.models import Document, Project


def export(out: Path, *extra: str, project: str = "talks", export_format: str = "jsonl") -> str:
    stdout = StringIO()
    call_command(
        "export_dataset",
        "--project",
        project,
        "--format",
        export_format,
        "--out",
        str(out),
        *extra,
        stdout=stdout,
        stderr=StringIO(),
    )
    return stdout.getvalue()


def records(out: Path) -> list[dict]:
    """The records of every split file of a JSON Lines export."""
    return [
        json.loads(line)
        for path in sorted(out.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_jsonl_of_all_annotators_loads(tmp_path, document, alice_span, bob, labels):
    out = tmp_path / "talks"

    printed = export(out, "--source", "annotators")

    split = assign_split(document.pk)
    assert [p.name for p in out.iterdir()] == [f"{split}.jsonl"]
    [record] = records(out)
    assert record["text"] == document.text and record["split"] == split
    [[start, end, label]] = record["label"]
    assert (document.text[start:end], label) == ("Sergey Lavrov", "actor")
    assert record["span_annotators"] == ["alice"]
    assert "1 documents, 1 spans; 0 spans left out." in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talks"]


def test_one_annotator(tmp_path, document, alice_span, bob):
    out = tmp_path / "bob"

    export(out, "--source", "annotator", "--annotator", "bob")

    assert [record["label"] for record in records(out)] == [[]]


def test_meta_with_our_field_names_is_exported_whole(tmp_path, project, alice_span):
    """Issue 11: a meta "source" once made the JSONL export refuse the project."""
    meta = {"source": "Reuters", "split": "mine"}
    wire = Document.objects.create(
        project=project, title="Wire", text="Wire story about NATO.", metadata=meta
    )

    export(tmp_path / "out", "--source", "annotators")

    record = next(r for r in records(tmp_path / "out") if r["id"] == wire.pk)
    assert record["meta"] == meta and record["split"] == assign_split(wire.pk)


def test_spans_left_out_are_counted_by_label_and_reason(tmp_path, document, alice, labels):
    from annotator.annotation.spans import span_create

    start = document.text.index("Sergey")
    span_create(
        document=document, annotator=alice, label=labels["actor"], start=start, end=start + 3
    )

    printed = export(tmp_path / "out", "--source", "annotators", export_format="conll")

    assert "1 documents, 1 spans; 1 spans left out." in printed
    assert "  1 actor left out: a boundary is not on a token edge" in printed


def test_huggingface_directory_loads_with_its_splits(tmp_path, project, alice_span, monkeypatch):
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for n in range(20):
        Document.objects.create(project=project, title=f"Filler {n}", text=f"Filler text {n}.")
    out = tmp_path / "hf"

    export(
        out,
        *("--source", "annotators", "--seed", "7"),
        *("--train", "0.5", "--validation", "0.25", "--test", "0.25"),
        export_format="huggingface",
    )

    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    expected = {"train": 0, "validation": 0, "test": 0}
    for pk in project.documents.values_list("pk", flat=True):
        expected[assign_split(pk, "7", SplitRatios(0.5, 0.25, 0.25))] += 1
    assert {name: split.num_rows for name, split in loaded.items()} == {
        name: rows for name, rows in expected.items() if rows
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--source", "annotators", "--format", "xml"), "Unknown export format 'xml'"),
        (("--source", "everyone", "--format", "jsonl"), "Unknown span source 'everyone'"),
        (("--source", "gold", "--format", "jsonl"), "No document of this project is gold yet"),
        (("--format", "jsonl"), "No document of this project is gold yet"),
        (("--source", "annotator", "--format", "jsonl"), "Choose the annotator"),
        (
            ("--source", "annotator", "--annotator", "nobody", "--format", "jsonl"),
            "No user 'nobody'",
        ),
        (
            ("--source", "annotators", "--format", "jsonl", "--train", "0.9"),
            r"Split ratios must sum to 1, got [0-9.]+\d\. Nothing was written\.$",
        ),
    ],
)
def test_bad_arguments_write_nothing(tmp_path, alice_span, arguments, message):
    out = tmp_path / "out"

    with pytest.raises(CommandError, match=message):
        call_command("export_dataset", "--project", "talks", "--out", str(out), *arguments)

    assert list(tmp_path.iterdir()) == []


def test_unknown_project_writes_nothing(tmp_path, alice_span):
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        export(tmp_path / "out", "--source", "annotators", project="nope")

    assert list(tmp_path.iterdir()) == []


def test_empty_project_writes_nothing(tmp_path, db):
    Project.objects.create(name="Empty", slug="empty")

    with pytest.raises(CommandError, match="no documents"):
        export(tmp_path / "out", "--source", "annotators", project="empty")

    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_left_alone(tmp_path, alice_span):
    out = tmp_path / "out"
    out.write_text("keep me")

    with pytest.raises(CommandError, match="exists"):
        export(out, "--source", "annotators")

    assert out.read_text() == "keep me"
    assert list(tmp_path.iterdir()) == [out]


def test_failure_while_writing_leaves_nothing(tmp_path, project, alice_span, monkeypatch):
    from annotator.exports import formats, jsonl

    bad = Document.objects.create(project=project, title="Bad", text="Bad.")
    checked = jsonl.checked_spans

    def refusing(document, labels):
        if document.id == bad.pk:
            raise ValueError(f"document {bad.pk}: refused")
        return checked(document, labels)

    # One document per batch: the failure comes after the first document was written.
    monkeypatch.setattr(formats, "STREAM_BATCH_DOCUMENTS", 1)
    monkeypatch.setattr(jsonl, "checked_spans", refusing)

    with pytest.raises(CommandError, match=f"Document {bad.pk}: refused. Nothing was written."):
        export(
            tmp_path / "out",
            "--source",
            "annotators",
            "--train",
            "1",
            "--validation",
            "0",
            "--test",
            "0",
        )

    assert list(tmp_path.iterdir()) == []
