"""Importing spans from JSON Lines files (manager): the rules of
:mod:`annotator.annotation.span_imports`, with the upload size limit of every import."""

import io
import json

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..annotation.span_imports import (
    DOCUMENT_IRI,
    TARGET_KINDS,
    SpanImportError,
    SpanImportTarget,
    SpanUpload,
    import_spans,
)
from ..models import Span
from ..permissions import Access, project_for


class SpanImportOptions(serializers.Serializer):
    target = serializers.ChoiceField(
        choices=list(TARGET_KINDS.items()), help_text="whose spans the imported spans become"
    )
    annotator = serializers.CharField(
        required=False,
        max_length=150,
        help_text="with target=annotator, the member's username; with target=pseudo, the "
        "pseudo-annotator's name, such as model:ner-v3",
    )
    name = serializers.CharField(
        required=False,
        default="",
        max_length=190,
        help_text="the import's name: origin import:<name> on spans, source on suggestions "
        "(default: the first file's name)",
    )
    create_documents = serializers.BooleanField(
        required=False, default=False, help_text="create documents whose text is missing"
    )
    submit = serializers.BooleanField(
        required=False, default=False, help_text="hand in the annotator's assignments"
    )
    document_iri = serializers.CharField(
        required=False, default=DOCUMENT_IRI, max_length=500, help_text="W3C target template"
    )

    def validate(self, data: dict) -> dict:
        if data["target"] != "suggestions" and not data.get("annotator"):
            raise serializers.ValidationError({"annotator": ["Name the annotator."]})
        return data


class SpanImportFilesInput(SpanImportOptions):
    files = serializers.ListField(child=serializers.FileField(), min_length=1)


class SpanImportJSONInput(SpanImportOptions):
    lines = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        help_text="the records a .jsonl file would hold, one per line",
    )


class SpanImportOutput(serializers.Serializer):
    lines = serializers.IntegerField()
    documents = serializers.IntegerField()
    documents_created = serializers.IntegerField()
    spans_created = serializers.IntegerField()
    suggestions_created = serializers.IntegerField()
    already_present = serializers.IntegerField()
    annotator = serializers.CharField()
    source = serializers.CharField()


class SpanImport(GenericAPIView):
    """Import spans, all or none: ``.jsonl`` files (multipart) or a JSON list of lines.

    A refusal is a 400 whose ``detail`` names the file (``request.jsonl`` for a
    JSON body) and line.
    """

    access = Access.MANAGER
    queryset = Span.objects.none()
    serializer_class = SpanImportOutput
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={
            "application/json": SpanImportJSONInput,
            "multipart/form-data": SpanImportFilesInput,
        },
        responses={201: SpanImportOutput},
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug, Access.MANAGER)
        if request.content_type.startswith("multipart/"):
            incoming = SpanImportFilesInput(data=request.data)
            incoming.is_valid(raise_exception=True)
            files = incoming.validated_data["files"]
            if len(files) > settings.DATA_UPLOAD_MAX_NUMBER_FILES:
                raise ValidationError(
                    {"files": [f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files at once."]}
                )
            uploads = [SpanUpload(file.name, file, file.size) for file in files]
        else:
            incoming = SpanImportJSONInput(data=request.data)
            incoming.is_valid(raise_exception=True)
            raw = b"".join(
                json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n"
                for line in incoming.validated_data["lines"]
            )
            uploads = [SpanUpload("request.jsonl", io.BytesIO(raw), len(raw))]
        options = incoming.validated_data
        target_name = options.get("annotator") or options["name"] or uploads[0].name
        try:
            result = import_spans(
                project=project,
                uploads=uploads,
                target=SpanImportTarget(options["target"], target_name),
                actor=request.user,
                name=options["name"],
                create_documents=options["create_documents"],
                submit=options["submit"],
                document_iri=options["document_iri"],
                max_bytes=settings.IMPORT_MAX_FILE_BYTES,
            )
        except SpanImportError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(SpanImportOutput(result).data, status=status.HTTP_201_CREATED)
