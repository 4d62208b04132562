"""Explicit input and output shapes of the REST API.

Input serializers only check types and ranges; every business rule is in the
service functions. Output serializers are read-only. Offsets are Python code
points into the document text, half-open ``[start, end)``.
"""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from rest_framework import serializers

from .. import untrusted_json
from ..annotation.imports import JSONL_KEYS
from ..models import (
    Assignment,
    Document,
    DocumentAgreement,
    GoldRelation,
    GoldSpan,
    GoldSpanAttribute,
    GoldStatus,
    Label,
    LabelAttribute,
    Project,
    ProjectAgreement,
    Relation,
    RelationType,
    Span,
    SpanAttribute,
)

MAX_IMPORT_DOCUMENTS = 1000


class StrictIntegerField(serializers.IntegerField):
    """An integer in JSON, not a string, float or boolean that looks like one."""

    default_error_messages = {"invalid": "A JSON integer is required."}

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(StrictIntegerField):
    """A row id: a JSON integer in the range of the database's id columns."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)


class OffsetField(StrictIntegerField):
    """A code-point offset; out-of-range values are the span service's to refuse."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_value=-(2**31), max_value=2**31 - 1, **kwargs)


# --------------------------------------------------------------------------- projects


class ProjectOutput(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="your role in the project")

    class Meta:
        model = Project
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "guidelines",
            "guidelines_version",
            "annotators_per_document",
            "assignment_required",
            "document_count",
            "created",
            "role",
        ]
        read_only_fields = fields

    def get_role(self, project: Project) -> str | None:
        return self.context["roles"].get(project.pk)


class LabelOutput(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "colour", "hotkey", "description"]
        read_only_fields = fields


class DocumentListOutput(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "project",
            "title",
            "source",
            "published",
            "text_sha256",
            "gold_status",
            "created",
        ]
        read_only_fields = fields


class DocumentOutput(DocumentListOutput):
    class Meta(DocumentListOutput.Meta):
        fields = [*DocumentListOutput.Meta.fields, "text", "metadata"]
        read_only_fields = fields


class ImportRecordInput(serializers.Serializer):
    """One document, as a line of a JSONL import file."""

    text = serializers.CharField(trim_whitespace=False)
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    source = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    meta = serializers.DictField(required=False)

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, dict):
            unknown = sorted(set(data) - JSONL_KEYS)
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown keys {', '.join(unknown)} (allowed: {', '.join(sorted(JSONL_KEYS))})."
                )
        return super().to_internal_value(data)

    def validate_meta(self, meta: dict) -> dict:
        # The JSON parser has checked the body already; a record may also come from elsewhere.
        found = untrusted_json.problem(meta)
        if found:
            raise serializers.ValidationError(f"Metadata {found}.")
        return meta


class ImportJSONInput(serializers.Serializer):
    documents = serializers.ListField(
        child=ImportRecordInput(), min_length=1, max_length=MAX_IMPORT_DOCUMENTS
    )


class ImportFilesInput(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), min_length=1, help_text=".txt or .jsonl files"
    )


class ImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())


# --------------------------------------------------------------------------- spans


class SetByServer:
    """Refuses a body that names the span's annotator or document.

    The annotator is the requesting user and the document comes from the URL;
    a body that tries to set them is refused rather than silently half-obeyed.
    """

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, dict):
            forbidden = sorted({"annotator", "document"} & set(data))
            if forbidden:
                raise serializers.ValidationError(
                    {name: ["Set by the server; do not send it."] for name in forbidden}
                )
        return super().to_internal_value(data)


class SpanCreateInput(SetByServer, serializers.Serializer):
    label = IdField(help_text="id of a label of the document's project")
    start = OffsetField(help_text="first code point of the span")
    end = OffsetField(help_text="code point just past the span")
    text = serializers.CharField(
        required=False,
        trim_whitespace=False,
        allow_blank=True,
        help_text="the selected text; a mismatch with the document is refused",
    )
    client_id = serializers.UUIDField(
        required=False, help_text="makes a retried create return the first span"
    )


class SpanRelabelInput(SetByServer, serializers.Serializer):
    label = IdField()


def _document_text(context: dict, span: Span | GoldSpan) -> str:
    """The text a span's offsets point into: read once per list (``document_text`` in the
    context), not joined into every row; a single span reads its own document."""
    text = context.get("document_text")
    return span.document.text if text is None else text


class SpanOutput(serializers.ModelSerializer):
    label_name = serializers.CharField(source="label.name")
    text = serializers.SerializerMethodField()

    class Meta:
        model = Span
        fields = [
            "id",
            "document",
            "label",
            "label_name",
            "start",
            "end",
            "text",
            "client_id",
            "guidelines_version",
            "origin",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def get_text(self, span: Span) -> str:
        return _document_text(self.context, span)[span.start : span.end]


# The columns span_rows reads, in its order; label__name joins the small label table only.
SPAN_ROW_COLUMNS = (
    "id",
    "document_id",
    "label_id",
    "label__name",
    "start",
    "end",
    "client_id",
    "guidelines_version",
    "origin",
    "created",
    "updated",
)


def span_rows(rows: Iterable[tuple], text: str) -> list[dict]:
    """:class:`SpanOutput`'s representation of spans read as ``SPAN_ROW_COLUMNS`` tuples.

    A document's span list holds thousands of spans; building model instances and
    running a serializer's fields for each took most of the request. Dates are
    written as DRF's ``DateTimeField`` writes them (ISO 8601 in the current time
    zone, ``Z`` for UTC); tests/test_api_span_list.py compares the two.
    """
    zone = timezone.get_current_timezone()

    def moment(value: datetime) -> str:
        written = value.astimezone(zone).isoformat()
        return written[:-6] + "Z" if written.endswith("+00:00") else written

    return [
        {
            "id": span_id,
            "document": document_id,
            "label": label_id,
            "label_name": label_name,
            "start": start,
            "end": end,
            "text": text[start:end],
            "client_id": str(client_id),
            "guidelines_version": guidelines_version,
            "origin": origin,
            "created": moment(created),
            "updated": moment(updated),
        }
        for (
            span_id,
            document_id,
            label_id,
            label_name,
            start,
            end,
            client_id,
            guidelines_version,
            origin,
            created,
            updated,
        ) in rows
    ]


# --------------------------------------------------------------------------- relations


class RelationTypeOutput(serializers.ModelSerializer):
    source_labels = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="label ids allowed at the source; empty: any label"
    )
    target_labels = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="label ids allowed at the target; empty: any label"
    )

    class Meta:
        model = RelationType
        fields = ["id", "name", "key", "directed", "source_labels", "target_labels", "description"]
        read_only_fields = fields


class LabelAttributeOutput(serializers.ModelSerializer):
    label_name = serializers.CharField(source="label.name")
    allowed_values = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = LabelAttribute
        fields = ["id", "label", "label_name", "name", "allowed_values", "description"]
        read_only_fields = fields


class RelationCreateInput(SetByServer, serializers.Serializer):
    type = IdField(help_text="id of a relation type of the document's project")
    source = IdField(help_text="id of one of your spans on this document")
    target = IdField(help_text="id of another of your spans on this document")
    client_id = serializers.UUIDField(
        required=False, help_text="makes a retried create return the first relation"
    )


class RelationOutput(serializers.ModelSerializer):
    type_name = serializers.CharField(source="type.name")

    class Meta:
        model = Relation
        fields = ["id", "document", "type", "type_name", "source", "target", "client_id", "created"]
        read_only_fields = fields


class SpanAttributeInput(serializers.Serializer):
    value = serializers.CharField(
        trim_whitespace=False, help_text="one of the attribute's allowed_values"
    )


class SpanAttributeOutput(serializers.ModelSerializer):
    attribute_name = serializers.CharField(source="attribute.name")

    class Meta:
        model = SpanAttribute
        fields = ["span", "attribute", "attribute_name", "value", "updated"]
        read_only_fields = fields


class GoldRelationCreateInput(serializers.Serializer):
    type = IdField(help_text="id of a relation type of the document's project")
    source = IdField(help_text="id of a gold span of this document")
    target = IdField(help_text="id of another gold span of this document")


class GoldRelationOutput(serializers.ModelSerializer):
    type_name = serializers.CharField(source="type.name")
    curator = serializers.CharField(source="curator.username", allow_null=True, default=None)
    source_relations = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="ids of the annotators' relations it was taken from"
    )

    class Meta:
        model = GoldRelation
        fields = [
            "id",
            "document",
            "type",
            "type_name",
            "source",
            "target",
            "status",
            "origin",
            "merge_rule",
            "source_relations",
            "curator",
            "created",
            "updated",
        ]
        read_only_fields = fields


class GoldSpanAttributeOutput(serializers.ModelSerializer):
    attribute_name = serializers.CharField(source="attribute.name")
    curator = serializers.CharField(source="curator.username", allow_null=True, default=None)
    source_values = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="ids of the annotators' values it was taken from"
    )

    class Meta:
        model = GoldSpanAttribute
        fields = [
            "gold_span",
            "attribute",
            "attribute_name",
            "value",
            "origin",
            "merge_rule",
            "source_values",
            "curator",
            "updated",
        ]
        read_only_fields = fields


# --------------------------------------------------------------------------- assignments


class AssignmentOutput(serializers.ModelSerializer):
    annotator = serializers.CharField(source="annotator.username")
    project = serializers.CharField(source="document.project.slug")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "project",
            "document",
            "annotator",
            "status",
            "skip_reason",
            "span_count",
            "submitted",
            "updated",
        ]
        read_only_fields = fields


class SkipInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="why you skip the document")


class DistributeOutput(serializers.Serializer):
    created = serializers.IntegerField(help_text="assignments created")


# --------------------------------------------------------------------------- agreement


class ProjectAgreementOutput(serializers.ModelSerializer):
    summary = serializers.JSONField(
        allow_null=True,
        help_text="annotator.curation.agreement.summarize output, null before any data; "
        "each figure in it carries its own reason when its value is null",
    )
    reason = serializers.CharField(
        allow_null=True, help_text="why summary is null; null when it is not"
    )
    updated = serializers.DateTimeField(allow_null=True, read_only=True)

    class Meta:
        model = ProjectAgreement
        fields = ["documents", "summary", "reason", "updated"]
        read_only_fields = fields


class DocumentAgreementOutput(serializers.ModelSerializer):
    updated = serializers.DateTimeField(allow_null=True, read_only=True)

    class Meta:
        model = DocumentAgreement
        fields = ["document", "annotators", "score", "updated"]
        read_only_fields = fields


class DocumentAgreementDetailOutput(DocumentAgreementOutput):
    reason = serializers.CharField(
        allow_null=True,
        help_text="why score is null (e.g. fewer than two annotators have submitted); "
        "null when it is not",
    )
    statistics = serializers.JSONField(
        allow_null=True,
        help_text="annotator.curation.agreement.document_statistics output; null with fewer "
        "than two submitted annotators",
    )

    class Meta(DocumentAgreementOutput.Meta):
        fields = [*DocumentAgreementOutput.Meta.fields, "reason", "statistics"]
        read_only_fields = fields


# --------------------------------------------------------------------------- gold


class GoldSpanOutput(serializers.ModelSerializer):
    label_name = serializers.CharField(source="label.name")
    text = serializers.SerializerMethodField()
    curator = serializers.CharField(source="curator.username", allow_null=True, default=None)
    source_spans = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = GoldSpan
        fields = [
            "id",
            "document",
            "label",
            "label_name",
            "start",
            "end",
            "text",
            "status",
            "origin",
            "merge_rule",
            "source_spans",
            "curator",
            "guidelines_version",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def get_text(self, gold_span: GoldSpan) -> str:
        return _document_text(self.context, gold_span)[gold_span.start : gold_span.end]


class GoldSpanCreateInput(serializers.Serializer):
    label = IdField()
    start = OffsetField()
    end = OffsetField()
    text = serializers.CharField(required=False, trim_whitespace=False, allow_blank=True)


class GoldSpanChangeInput(serializers.Serializer):
    """A new label, new boundaries (``start`` and ``end`` together), or both."""

    label = IdField(required=False)
    start = OffsetField(required=False)
    end = OffsetField(required=False)
    text = serializers.CharField(required=False, trim_whitespace=False, allow_blank=True)

    def validate(self, values: dict) -> dict:
        if ("start" in values) != ("end" in values):
            raise serializers.ValidationError("Send start and end together.")
        if "label" not in values and "start" not in values:
            raise serializers.ValidationError("Send a label, or start and end, or both.")
        return values


class PremergeInput(serializers.Serializer):
    minimum = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        help_text="how many submitted annotators must agree; default all",
    )


class GoldSpanListOutput(serializers.Serializer):
    created = GoldSpanOutput(many=True)


class AcceptedOutput(serializers.Serializer):
    accepted = serializers.IntegerField()


class GoldStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[GoldStatus.GOLD, GoldStatus.IN_PROGRESS],
        help_text="gold to finish, in_progress to reopen",
    )
    confirm = serializers.BooleanField(
        default=False,
        help_text="mark gold although regions of disagreement have no accepted gold span or "
        "assigned annotators have not submitted; without it that is a 400 with "
        "confirm_required",
    )


class GoldStatusOutput(serializers.Serializer):
    document = serializers.IntegerField(source="pk")
    gold_status = serializers.ChoiceField(choices=GoldStatus.choices)
