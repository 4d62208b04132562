"""Projects, their labels and documents, and bulk import of documents."""

import io
import json

from django.conf import settings
from django.db.models import Exists, OuterRef
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..annotation.imports import DocumentImportError, UploadedText, import_documents
from ..models import Assignment, Document, GoldStatus, Label, Membership, Project, Role
from ..permissions import Access, project_for
from .base import AllowListFilter, Filter, document_for
from .parsers import JSONParser
from .serializers import (
    DocumentListOutput,
    DocumentOutput,
    ImportFilesInput,
    ImportJSONInput,
    ImportOutput,
    LabelOutput,
    ProjectOutput,
)


def _roles(user, projects: list[Project]) -> dict[int, str]:
    if user.is_superuser:
        return {project.pk: Role.MANAGER for project in projects}
    return dict(
        Membership.objects.filter(user=user, project__in=projects).values_list("project_id", "role")
    )


class ProjectList(ListAPIView):
    """The projects you are a member of, with your role in each."""

    access = Access.AUTHENTICATED
    queryset = Project.objects.none()
    serializer_class = ProjectOutput
    filter_backends = [AllowListFilter]
    filters = {
        "name": Filter(serializers.CharField(max_length=200), "name__icontains", "name contains"),
    }
    ordering_fields = ("name", "slug", "created")

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).order_by("name", "pk")

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {"roles": _roles(request.user, page)}
        return self.get_paginated_response(ProjectOutput(page, many=True, context=context).data)


class ProjectDetail(RetrieveAPIView):
    access = Access.MEMBER
    queryset = Project.objects.none()
    serializer_class = ProjectOutput

    def retrieve(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug, Access.MEMBER)
        context = {"roles": {project.pk: project.role_of(request.user)}}
        return Response(ProjectOutput(project, context=context).data)


class LabelList(ListAPIView):
    access = Access.MEMBER
    queryset = Label.objects.none()
    serializer_class = LabelOutput
    filter_backends = [AllowListFilter]
    ordering_fields = ("name", "hotkey")

    def get_queryset(self):
        project = project_for(self.request.user, self.kwargs["slug"], Access.MEMBER)
        return Label.objects.filter(project=project).order_by("hotkey", "pk")


class DocumentList(ListAPIView):
    """The project's documents: all of them for curators, an annotator's queue otherwise.

    In a project that requires assignments an annotator sees only the documents
    assigned to them, as on the document list page.
    """

    access = Access.MEMBER
    queryset = Document.objects.none()
    serializer_class = DocumentListOutput
    filter_backends = [AllowListFilter]
    filters = {
        "gold_status": Filter(
            serializers.ChoiceField(choices=GoldStatus.choices),
            "gold_status",
            "one of " + ", ".join(GoldStatus.values),
        ),
        "title": Filter(
            serializers.CharField(max_length=500), "title__icontains", "title contains"
        ),
        "text_sha256": Filter(
            serializers.RegexField(r"^[0-9a-f]{64}$"), "text_sha256", "SHA-256 of the text"
        ),
        "created_after": Filter(
            serializers.DateTimeField(),
            "created__gte",
            "created at or after",
            OpenApiTypes.DATETIME,
        ),
        "created_before": Filter(
            serializers.DateTimeField(), "created__lt", "created before", OpenApiTypes.DATETIME
        ),
    }
    ordering_fields = ("id", "title", "published", "created", "gold_status")

    def get_queryset(self):
        project = project_for(self.request.user, self.kwargs["slug"], Access.MEMBER)
        documents = Document.objects.filter(project=project).select_related("project")
        if project.assignment_required and not project.may_curate(self.request.user):
            documents = documents.filter(
                Exists(
                    Assignment.objects.filter(document=OuterRef("pk"), annotator=self.request.user)
                )
            )
        return documents.order_by("id")


class DocumentDetail(RetrieveAPIView):
    """A document with its text; an annotator needs an assignment where the project requires one."""

    access = Access.MEMBER
    queryset = Document.objects.none()
    serializer_class = DocumentOutput

    def retrieve(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        project = document.project
        if (
            project.assignment_required
            and not project.may_curate(request.user)
            and not Assignment.objects.filter(document=document, annotator=request.user).exists()
        ):
            raise PermissionDenied("This document is not assigned to you.")
        return Response(DocumentOutput(document).data)


class DocumentImport(GenericAPIView):
    """Import documents, all or none: a JSON list of records, or ``.txt``/``.jsonl`` files.

    The same rules as the import command and the admin (UTF-8, size limit per
    file, duplicates of the project's texts skipped with a notice).
    """

    access = Access.MANAGER
    queryset = Document.objects.none()
    serializer_class = ImportOutput
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={"application/json": ImportJSONInput, "multipart/form-data": ImportFilesInput},
        responses={201: ImportOutput},
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug, Access.MANAGER)
        if request.content_type.startswith("multipart/"):
            uploads = self._files(request)
        else:
            uploads = [self._records(request)]
        try:
            result = import_documents(project=project, uploads=uploads)
        except DocumentImportError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(ImportOutput(result).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _records(request: Request) -> UploadedText:
        incoming = ImportJSONInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        # The records become one JSONL stream, so they pass the importer's checks too.
        lines = b"".join(
            json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
            for record in incoming.validated_data["documents"]
        )
        return UploadedText(name="request.jsonl", stream=io.BytesIO(lines), size=len(lines))

    @staticmethod
    def _files(request: Request) -> list[UploadedText]:
        incoming = ImportFilesInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        files = incoming.validated_data["files"]
        if len(files) > settings.DATA_UPLOAD_MAX_NUMBER_FILES:
            raise ValidationError(
                {"files": [f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files at once."]}
            )
        return [UploadedText(name=file.name, stream=file, size=file.size) for file in files]
