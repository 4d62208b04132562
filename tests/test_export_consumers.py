"""A release read by the tools an ML team trains with, split by split, without our code.

One small release of multi-script gold documents, unzipped: ``spacy train`` runs on
its spaCy folders, ``datasets`` loads it by split from its card (and parses the
card without a warning), ``datasets``' CoNLL builder and seqeval read each CoNLL
split file, and every format lists the same documents in each split as the
Hugging Face files, as ``release.json`` and as the card's rule recomputed from
the card's own words.
"""

import io
import json
import logging
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from annotator.curation.gold import gold_span_create, gold_status_set
from annotator.exports.releases import release_create
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, assign_split
from annotator.models import Document, GoldStatus

TEXTS = [
    ("Talks in Oslo", "NATO said the talks in Oslo would resume in January."),
    ("Moscow", "Moscow warned that sanctions would follow if troops crossed the border."),
    ("Delhi", "नरेन्द्र मोदी ने कहा कि वार्ता जनवरी में होगी।"),
    ("Cairo", "قال مُحَمَّد إن المحادثات ستستأنف في يناير."),
    ("Ọ̀yọ́", "The Ọ̀yọ́ council proposed a ceasefire near the river."),
    ("Tokyo", "東京 said the summit 🇯🇵 would open in February."),
    ("Family", "The alliance 👨\u200d👩\u200d👧 proposed new inspections of missile sites."),
    ("Kyiv", "Officials in Kyiv rejected the draft treaty on Monday."),
    ("Geneva", "Envoys in Geneva said the offer was frank but useful."),
    ("Rome", "The minister in Rome threatened a military response."),
    ("Paris", "Paris proposed arms control measures and a hotline."),
    ("Bangkok", "ภาษาไทย officials in Bangkok said talks would resume."),
]
# (quoted text, label), looked up in every text that holds it.
SPANS = [
    ("NATO", "actor"),
    ("Moscow", "actor"),
    ("नरेन्द्र मोदी", "actor"),
    ("مُحَمَّد", "actor"),
    ("Ọ̀yọ́ council", "actor"),
    ("東京", "actor"),
    ("The alliance", "actor"),
    ("Kyiv", "actor"),
    ("Geneva", "actor"),
    ("minister in Rome", "actor"),
    ("Paris", "actor"),
    ("Bangkok", "actor"),
    ("the talks in Oslo would resume in January", "claim"),
    ("sanctions would follow if troops crossed the border", "threat"),
    ("proposed a ceasefire near the river", "proposal"),
    ("threatened a military response", "threat"),
    ("proposed arms control measures", "proposal"),
    ("the offer was frank but useful", "claim"),
]
RATIOS = SplitRatios(0.5, 0.25, 0.25)
INIT_OPTIONS = ("--lang", "en", "--pipeline", "ner", "--optimize", "efficiency")
# Two steps, evaluated on dev after each: enough to show spaCy reads both folders.
TRAIN_OPTIONS = ("--training.max_steps", "2", "--training.eval_frequency", "1")


@pytest.fixture
def release_folder(project, labels, curator, manager, tmp_path, settings) -> Path:
    """A release of every format, unzipped; its seed puts documents in every split."""
    settings.MEDIA_ROOT = tmp_path / "media"
    documents = []
    for title, text in TEXTS:
        document = Document.objects.create(project=project, title=title, text=text)
        for quote, label in SPANS:
            if quote in document.text:
                start = document.text.index(quote)
                gold_span_create(
                    document=document,
                    label=labels[label],
                    start=start,
                    end=start + len(quote),
                    curator=curator,
                )
        gold_status_set(document=document, status=GoldStatus.GOLD)
        documents.append(document)
    seed = next(
        str(seed)
        for seed in range(100)
        if all(
            sum(assign_split(d.pk, str(seed), RATIOS) == split for d in documents) >= 2
            for split in SPLIT_NAMES
        )
    )
    release = release_create(
        project=project, author=manager, seed=seed, ratios=RATIOS, languages=["en"]
    )
    with release.archive.open("rb") as stream:
        zipfile.ZipFile(io.BytesIO(stream.read())).extractall(tmp_path / "release")
    return tmp_path / "release" / "talks-v1"


def manifest_splits(folder: Path) -> dict[str, list[int]]:
    return json.loads((folder / "release.json").read_text())["splits"]["documents"]


def test_spacy_trains_on_the_train_and_dev_folders(release_folder, tmp_path):
    config = tmp_path / "config.cfg"
    # spaCy's own starter config: a blank English NER pipeline on the CPU.
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "spacy", "init", "config", str(config), *INIT_OPTIONS],
        check=True,
        capture_output=True,
    )
    trained = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            *(sys.executable, "-m", "spacy", "train", str(config)),
            *("--output", str(tmp_path / "model")),
            *("--paths.train", str(release_folder / "data/spacy/train")),
            *("--paths.dev", str(release_folder / "data/spacy/dev")),
            *TRAIN_OPTIONS,
        ],
        capture_output=True,
        text=True,
    )

    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert (tmp_path / "model" / "model-last" / "meta.json").exists()
    meta = json.loads((tmp_path / "model" / "model-last" / "meta.json").read_text())
    # The entity labels spaCy learnt are those of the train folder's doc.ents.
    assert "actor" in meta["labels"]["ner"]
    assert set(meta["labels"]["ner"]) <= {"actor", "claim", "threat", "proposal"}


@pytest.fixture
def offline_hf(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    return tmp_path / "hf-cache"


@pytest.fixture
def datasets_logs(caplog) -> pytest.LogCaptureFixture:
    """``datasets``' log records (it does not pass them to the root logger by default)."""
    from datasets.utils import logging as datasets_logging

    datasets_logging.enable_propagation()
    caplog.set_level(logging.INFO)
    yield caplog
    datasets_logging.disable_propagation()


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def test_datasets_loads_the_release_by_split_from_its_card(
    release_folder, offline_hf, datasets_logs
):
    import datasets

    loaded = datasets.load_dataset(str(release_folder), cache_dir=str(offline_hf))

    assert warnings_logged(datasets_logs) == []
    assert set(loaded) == set(SPLIT_NAMES)
    splits = manifest_splits(release_folder)
    assert {name: sorted(loaded[name]["id"]) for name in SPLIT_NAMES} == splits
    names = loaded["train"].features["actor_tags"].feature.names
    assert names == ["O", "B-actor", "I-actor"]


def test_datasets_parses_the_card_without_a_warning(release_folder, datasets_logs):
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        card = DatasetCard.load(release_folder / "README.md")
        infos = DatasetInfosDict.from_dataset_card_data(card.data)

    assert [str(w.message) for w in caught] == []
    assert warnings_logged(datasets_logs) == []
    splits = infos["default"].splits
    counts = json.loads((release_folder / "release.json").read_text())["counts"]["documents"]
    assert {name: splits[name].num_examples for name in splits} == counts
    assert all(splits[name].num_bytes > 0 for name in splits)


def conll_columns(path: Path) -> dict[str, list[list[str]]]:
    """The tag sequences of each layer of a CoNLL file, read by ``datasets``' CoNLL builder."""
    import datasets

    loaded = datasets.load_dataset(
        "conll",
        data_files={"split": str(path)},
        column_names=["tokens", "actor_tags", "ner_tags"],
        delimiter="\t",
        cache_dir=str(path.parent / ".cache"),
    )["split"]
    return {"actor": loaded["actor_tags"], "content": loaded["ner_tags"]}


LAYER_LABELS = {"actor": ("actor",), "content": ("claim", "threat", "proposal")}


def test_seqeval_reads_every_conll_split_file(release_folder, offline_hf):
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2, Entities

    manifest = json.loads((release_folder / "release.json").read_text())
    for split in SPLIT_NAMES:
        columns = conll_columns(release_folder / "data/conll" / f"{split}.conll")
        for layer, tags in columns.items():
            entities = [e for sentence in Entities(tags, IOB2).entities for e in sentence]
            expected = sum(
                manifest["counts"]["spans"][split][label] for label in LAYER_LABELS[layer]
            )
            # Every span of the split lines up with the tokens; none overlap in a layer here.
            assert len(entities) == expected, (split, layer)
        # Every document has an actor, so every split's actor column has entities to score.
        actor = columns["actor"]
        report = classification_report(actor, actor, mode="strict", scheme=IOB2, output_dict=True)
        assert report["actor"]["support"] == manifest["counts"]["spans"][split]["actor"] > 0
        assert report["micro avg"]["f1-score"] == 1.0


def documents_per_split(folder: Path) -> dict[str, dict[str, list[int]]]:
    """The documents of each split as each format lists them, read from its files."""
    import spacy
    from spacy.tokens import DocBin

    data = folder / "data"
    found: dict[str, dict[str, list[int]]] = {}
    for split in SPLIT_NAMES:
        listed = found[split] = {}
        rows = []
        for path in sorted((data / "huggingface").glob(f"{split}-*.parquet")):
            rows += pq.read_table(path, columns=["id"]).column("id").to_pylist()
        listed["huggingface"] = rows
        vocab = spacy.blank("en").vocab
        spacy_folder = data / "spacy" / ("dev" if split == "validation" else split)
        listed["spacy"] = [
            doc.user_data["id"]
            for shard in sorted(spacy_folder.glob("*.spacy"))
            for doc in DocBin().from_disk(shard).get_docs(vocab)
        ]
        conll = (data / "conll" / f"{split}.conll").read_text(encoding="utf-8")
        listed["conll"] = [int(n) for n in re.findall(r"^-DOCSTART- (\d+)\t", conll, re.M)]
        for name in ("jsonl", "doccano-entities"):
            lines = (data / name / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
            records = [json.loads(line) for line in lines]
            assert {record["split"] for record in records} == {split}
            listed[name] = [record["id"] for record in records]
        w3c = (data / "w3c" / split / "documents.jsonl").read_text(encoding="utf-8")
        listed["w3c"] = [int(json.loads(line)["id"].rsplit(":", 1)[1]) for line in w3c.splitlines()]
        listed["brat"] = sorted(int(p.stem) for p in (data / "brat" / split).glob("*.txt"))
    return found


def test_every_format_lists_the_same_documents_in_each_split(release_folder):
    splits = manifest_splits(release_folder)

    for split, by_format in documents_per_split(release_folder).items():
        for name, ids in by_format.items():
            assert sorted(ids) == splits[split], (split, name)


def test_the_cards_words_recompute_every_documents_split(release_folder):
    card = (release_folder / "README.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", card, flags=re.S)
    splits = manifest_splits(release_folder)

    recomputed = {split: [] for split in SPLIT_NAMES}
    for document_id in sorted(i for ids in splits.values() for i in ids):
        namespace = {"id": document_id}
        exec(code, namespace)  # noqa: S102 - the card's own code, which this test is about
        recomputed[namespace["split"]].append(document_id)

    assert recomputed == splits
