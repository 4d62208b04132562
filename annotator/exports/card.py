"""The dataset card (``README.md``) of a release.

A Hugging Face style YAML header (pretty name, licence, languages, task
category, size category, the label names as ``datasets`` ClassLabel features,
the split sizes and, when the release has the Hugging Face format, the
``configs`` that point ``load_dataset`` at its Parquet files), then the
sections of *Datasheets for Datasets* (Gebru et al.): motivation, composition,
collection, labelling and agreement, uses, distribution, maintenance.

Everything here is read from the release manifest (``release.json``, see
:mod:`annotator.exports.releases`) and the project; nothing queries the
database. The card holds the release time, so it is not one of the files whose
checksums stay the same between releases of unchanged data.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from annotator.exports.records import LEFT_OUT_REASONS, iob2_names, layers
from annotator.exports.splits import SPLIT_NAMES, SplitRatios, rule_in_words

#: Frequent function words of the languages told apart by their words.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "in",
            "is",
            "that",
            "for",
            "on",
            "with",
            "was",
            "said",
            "are",
            "by",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "des",
            "est",
            "une",
            "dans",
            "pour",
            "que",
            "qui",
            "sur",
            "avec",
            "du",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "mit",
            "den",
            "von",
            "zu",
            "ein",
            "eine",
            "für",
            "auf",
        ]
    ),
    "es": frozenset(
        ["el", "los", "las", "y", "es", "una", "en", "para", "que", "por", "con", "del", "se"]
    ),
    "it": frozenset(
        ["il", "gli", "e", "è", "una", "per", "che", "di", "della", "con", "non", "sono"]
    ),
    "nl": frozenset(
        ["de", "het", "een", "en", "van", "is", "dat", "niet", "met", "voor", "op", "zijn"]
    ),
    "pt": frozenset(
        ["o", "os", "as", "e", "é", "uma", "em", "para", "que", "com", "não", "do", "da"]
    ),
}
#: Languages told apart by their script: the Unicode name prefix of its letters.
SCRIPTS = {
    "ARABIC": "ar",
    "HEBREW": "he",
    "CYRILLIC": "ru",
    "GREEK": "el",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "zh",
}
WORD = re.compile(r"\w+")
#: A language is listed when it is the main language of this share of the sampled documents.
LANGUAGE_SHARE = 0.05
#: Script letters count for less than function words: a quoted name is not a language.
SCRIPT_LETTERS_PER_WORD = 20
SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
]


def main_language(text: str) -> str | None:
    """The language of ``text`` by function words and scripts, or None if unclear."""
    scores: Counter[str] = Counter()
    for word in WORD.findall(text.lower()):
        for language, words in STOPWORDS.items():
            if word in words:
                scores[language] += 1
    scripts: Counter[str] = Counter()
    for character in text:
        if character.isalpha() and ord(character) > 0x24F:
            prefix = unicodedata.name(character, "").split(" ")[0]
            if prefix in SCRIPTS:
                scripts[SCRIPTS[prefix]] += 1
    if scripts["ja"]:
        # Japanese text mixes kana with kanji, which are CJK ideographs.
        scripts["ja"] += scripts.pop("zh", 0)
    for language, letters in scripts.items():
        scores[language] += letters / SCRIPT_LETTERS_PER_WORD
    if not scores:
        return None
    return scores.most_common(1)[0][0]


def detect_languages(texts: Iterable[str]) -> list[str]:
    """ISO 639-1 codes of the languages that are the main language of enough texts.

    Most frequent first; ``["unknown"]`` when none is recognised.
    """
    found = Counter(main_language(text) for text in texts)
    total = sum(found.values())
    languages = [
        language
        for language, count in found.most_common()
        if language is not None and count >= LANGUAGE_SHARE * total
    ]
    return languages or ["unknown"]


def size_category(documents: int) -> str:
    for bound, name in SIZE_CATEGORIES:
        if documents < bound:
            return name
    return "n>10M"


def _class_label(names: Sequence[str]) -> dict:
    return {"class_label": {"names": {str(index): name for index, name in enumerate(names)}}}


def dataset_features(labels: Sequence[str]) -> list[dict]:
    """The Hugging Face format's columns as card ``dataset_info.features``, tag names included."""
    actor_labels, content_labels = layers(labels)
    return [
        {"name": "id", "dtype": "int64"},
        {"name": "title", "dtype": "string"},
        {"name": "text", "dtype": "string"},
        {"name": "source", "dtype": "string"},
        {"name": "meta", "dtype": "string"},
        {"name": "tokens", "sequence": "string"},
        {"name": "token_starts", "sequence": "int64"},
        {"name": "token_ends", "sequence": "int64"},
        {"name": "ner_tags", "sequence": _class_label(iob2_names(content_labels))},
        {"name": "actor_tags", "sequence": _class_label(iob2_names(actor_labels))},
        {
            "name": "spans",
            "list": [
                {"name": "start", "dtype": "int64"},
                {"name": "end", "dtype": "int64"},
                {"name": "label", "dtype": "string"},
            ],
        },
        {
            "name": "relations",
            "list": [
                {"name": "head", "dtype": "int64"},
                {"name": "tail", "dtype": "int64"},
                {"name": "type", "dtype": "string"},
            ],
        },
        {
            "name": "span_attributes",
            "list": {
                "list": [
                    {"name": "name", "dtype": "string"},
                    {"name": "value", "dtype": "string"},
                ]
            },
        },
        {"name": "span_origins", "sequence": "string"},
    ]


def card_header(manifest: Mapping[str, Any]) -> dict:
    """The YAML header of the card, as a dict."""
    counts = manifest["counts"]
    documents = sum(counts["documents"].values())
    languages = manifest["languages"]
    header: dict[str, Any] = {
        "pretty_name": manifest["project"]["name"],
        "license": manifest["license"],
        "language": languages,
        "multilinguality": "multilingual" if len(languages) > 1 else "monolingual",
        "task_categories": ["token-classification"],
        "size_categories": [size_category(documents)],
        "annotations_creators": ["expert-generated"],
        "source_datasets": ["original"],
        "tags": ["span-annotation", "gold-standard"],
        "labels": list(manifest["labels"]),
        "dataset_info": {"features": dataset_features(manifest["labels"])},
    }
    huggingface = manifest["formats"].get("huggingface")
    if huggingface is not None:
        # What ``datasets`` reads of the Parquet files: rows, and the data's size.
        header["dataset_info"]["splits"] = [
            {
                "name": split,
                "num_bytes": figures["num_bytes"],
                "num_examples": figures["num_examples"],
            }
            for split, figures in huggingface["splits"].items()
        ]
        header["configs"] = [
            {
                "config_name": "default",
                "data_files": [
                    {"split": split, "path": f"{huggingface['path']}/{split}-*.parquet"}
                    for split in SPLIT_NAMES
                    if counts["documents"][split]
                ],
            }
        ]
    return header


def _figure(figure: Mapping[str, Any] | None) -> str:
    if figure is None:
        return "not computed"
    if figure.get("value") is None:
        return f"undefined ({figure.get('reason') or 'no reason recorded'})"
    return f"{figure['value']:.3f}"


def agreement_lines(summary: Mapping[str, Any] | None) -> list[str]:
    """The headline agreement figures, each a value or "undefined (reason)"."""
    if not summary:
        return [
            "No agreement figures were computed for this project: no document had two or "
            "more submitted annotations when the release was made."
        ]
    lines = [
        f"Computed over {summary.get('documents', 0)} documents with two or more submitted "
        f"annotations, by {len(summary.get('annotators', []))} annotators.",
        "",
        "| Measure | Value |",
        "|---|---|",
    ]
    span_f1 = summary.get("span_f1", {})
    for mode in ("exact", "overlap"):
        overall = span_f1.get(mode, {}).get("overall", {})
        lines.append(
            f"| Span F1, {mode} match (micro, all pairs) | {_figure(overall.get('micro'))} |"
        )
        for label, figure in overall.get("labels", {}).items():
            lines.append(f"| Span F1, {mode} match, {label} | {_figure(figure)} |")
    for layer, figures in summary.get("token", {}).items():
        lines.append(
            f"| Cohen's kappa, {layer} tokens (mean of pairs) | "
            f"{_figure(figures.get('cohen_kappa', {}).get('mean'))} |"
        )
        lines.append(f"| Fleiss' kappa, {layer} tokens | {_figure(figures.get('fleiss_kappa'))} |")
        lines.append(
            f"| Krippendorff's alpha, {layer} tokens | "
            f"{_figure(figures.get('krippendorff_alpha'))} |"
        )
    unitized = summary.get("unitized_alpha", {})
    lines.append(f"| Unitized alpha (alpha-U) | {_figure(unitized.get('overall'))} |")
    return lines


def _table(rows: Iterable[Sequence[object]], header: Sequence[str]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _left_out(entry: Mapping[str, Any], reason: str) -> int:
    return sum(entry["left_out"].get(reason, {}).values())


def _left_out_lines(formats: Mapping[str, Mapping[str, Any]], labels: Sequence[str]) -> list[str]:
    """Per format that left spans out: how many, of which label, and why."""
    lines = []
    for entry in formats.values():
        for reason, per_label in entry["left_out"].items():
            listed = ", ".join(
                f"{per_label[label]} {label}" for label in labels if per_label[label]
            )
            lines.append(
                f"- {entry['title']} left out {sum(per_label.values())} spans ({listed}): "
                f"{LEFT_OUT_REASONS[reason]}."
                + (
                    f" They are still there: {entry['left_out_still_in']}."
                    if entry["left_out_still_in"]
                    else ""
                )
            )
    return ["What the formats left out:", "", *lines, ""] if lines else []


def relation_lines(manifest: Mapping[str, Any]) -> list[str]:
    """The project's relation types with their count in the release, and its span
    attributes; nothing for a project with neither (or a manifest from before them)."""
    types = manifest.get("relation_types", [])
    attributes = manifest.get("attributes", [])
    if not types and not attributes:
        return []

    def labels(names: Sequence[str]) -> str:
        return ", ".join(f"`{name}`" for name in names) or "any label"

    lines = []
    if types:
        rows = [
            (
                f"`{entry['name']}`",
                labels(entry["source_labels"]),
                labels(entry["target_labels"]),
                "yes" if entry["directed"] else "no",
                entry["relations"],
            )
            for entry in types
        ]
        lines += [
            "Relation types of the project (a relation links two spans of a document, "
            "from a span of a *from* label to one of a *to* label), with the relations "
            "of each type in this release:",
            "",
            *_table(rows, ["Type", "From", "To", "Directed", "Relations"]),
            "",
        ]
    if attributes:
        rows = [
            (f"`{entry['name']}`", f"`{entry['label']}`", ", ".join(entry["values"]))
            for entry in attributes
        ]
        lines += [
            "Span attributes of the project (a span holds at most one value of each):",
            "",
            *_table(rows, ["Attribute", "Label", "Values"]),
            "",
        ]
    if not sum(entry["relations"] for entry in types):
        lines += [
            "This release holds no relations: no gold relation was accepted in "
            "adjudication. Annotators' relations and attribute values are in an export of "
            "their spans (JSONL, doccano entities, W3C, brat, spaCy and Hugging Face carry "
            "them).",
            "",
        ]
    return lines


def dataset_card(manifest: Mapping[str, Any], *, description: str = "") -> str:
    """The ``README.md`` of a release: YAML header, then the datasheet sections."""
    header = yaml.safe_dump(card_header(manifest), allow_unicode=True, sort_keys=False)
    project, counts = manifest["project"], manifest["counts"]
    labels = manifest["labels"]
    documents = sum(counts["documents"].values())
    spans = sum(counts["labels"].values())
    split_rows = [
        (split, counts["documents"][split], *(counts["spans"][split][label] for label in labels))
        for split in SPLIT_NAMES
    ]
    format_rows = [
        (
            f"`{entry['path']}/`",
            entry["title"],
            entry["layout"],
            entry["spans"],
            *(_left_out(entry, reason) for reason in LEFT_OUT_REASONS),
        )
        for entry in manifest["formats"].values()
    ]
    splits = manifest["splits"]
    ratios = SplitRatios(**splits["ratios"])
    lines = [
        "---",
        header.rstrip("\n"),
        "---",
        "",
        f"# {project['name']}, release {manifest['version']}",
        "",
        f"Gold-standard span annotations of the Annotator project `{project['slug']}`, "
        f"released by {manifest['author']} on {manifest['created']}.",
        "",
        "## Motivation",
        "",
        description.strip()
        or "The project has no description; this dataset was created to train and evaluate "
        "models that find the labelled spans below in running text.",
        "",
        "## Composition",
        "",
        f"{documents} documents (news and policy texts, one row per document) with {spans} "
        f"gold spans. Each span is a labelled range `[start, end)` of Unicode code points "
        f"of the document text. Labels: {', '.join(f'`{label}`' for label in labels)}. "
        "Spans may nest and overlap (actors sit inside claims).",
        "",
        *_table(split_rows, ["Split", "Documents", *labels]),
        "",
        "Splits are by document, never dividing one; `release.json` lists the documents of "
        "each split (`splits.documents`), and every format has a file or folder per split: "
        "train, validation (spaCy calls it `dev`) and test. A split with no document has "
        "none.",
        "",
        rule_in_words(splits["seed"], ratios),
        "",
        *relation_lines(manifest),
        "## Collection process",
        "",
        "Documents were imported into Annotator as text, normalised to Unicode NFC with LF "
        "line breaks. Their source and metadata are in each record's `source` and `meta`. "
        f"The ids of the documents included are listed in `release.json` ({documents}).",
        "",
        "## Labelling and agreement",
        "",
        "Annotators labelled each document independently and blind to each other, following "
        f"the project guidelines (version {manifest['guidelines_version']}). A curator then "
        "adjudicated: proposals merged from the annotators' spans were accepted, rejected or "
        "corrected, and the document marked gold. Only accepted spans of gold documents are "
        "released; who proposed or accepted a span is not.",
        "",
        "Inter-annotator agreement before adjudication (an undefined figure gives its reason):",
        "",
        *agreement_lines(manifest["agreement"]),
        "",
        "## Uses",
        "",
        "Training and evaluating span labelling and token classification models. Token "
        "formats can carry only spans on token boundaries and, per layer, one label per "
        "token; what each format left out is counted below. Use the raw character spans "
        "(JSONL, W3C, brat, or the `spans` column) to see every span.",
        "",
        "Tokens are grapheme clusters joined into words at Unicode (UAX #29) word "
        "boundaries, with punctuation inside words (apostrophes, full stops, commas) a "
        "token of its own; Chinese, Japanese kana and Thai are a token per character. "
        "Where a layer's spans overlap, the tags keep the most spans that do not overlap "
        "(the span that ends first, then the next that starts after it; an actor first "
        "between spans ending together); spaCy's `doc.ents` follows the same rule over all "
        'labels, and `doc.spans["sc"]` holds every token-aligned span.',
        "",
        *_left_out_lines(manifest["formats"], labels),
        "## Distribution",
        "",
        f"Licence: `{manifest['license']}`. The archive holds the formats below, this card "
        "and `release.json` (the manifest: version, author, time, documents, counts, "
        "agreement, guidelines version and the SHA-256 of every other file).",
        "",
        *_table(
            format_rows,
            ["Folder", "Format", "Files", "Spans", *(f"Left out: {r}" for r in LEFT_OUT_REASONS)],
        ),
        "",
        "Reproducibility: the data files (everything but `README.md` and `release.json`, "
        "which carry the release time and version) depend only on the gold data, the "
        "labels, the split seed and ratios and the format versions, so two releases of "
        "unchanged data have data files with the same SHA-256, and a changed span changes "
        "them. Compare the `files` checksums of two manifests to see what changed.",
        "",
        "## Maintenance",
        "",
        f"Releases are immutable and numbered; this is release {manifest['version']}. A "
        "correction comes as a new release of the project, never as a change to this one.",
        "",
    ]
    return "\n".join(lines)
