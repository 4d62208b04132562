"""Assignments, agreement and adjudication (gold spans), through the same services as the pages.

Annotators list, submit and skip their own assignments; curators and managers
see a project's assignments, its agreement and its gold version; managers
distribute documents. A refused change is a 400 with the service's message.
"""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ..annotation.assignments import (
    AssignmentError,
    assignment_reopen,
    assignment_skip,
    assignment_submit,
    assignments_distribute,
)
from ..annotation.spans import SpanError
from ..curation.agreement_refresh import document_score_reason, project_agreement_reason
from ..curation.gold import (
    GoldError,
    gold_accept_all,
    gold_premerge,
    gold_span_accept,
    gold_span_create,
    gold_span_delete,
    gold_span_relabel,
    gold_span_resize,
    gold_status_set,
)
from ..models import (
    Assignment,
    AssignmentStatus,
    Document,
    DocumentAgreement,
    GoldSpan,
    GoldSpanStatus,
    ProjectAgreement,
)
from ..permissions import Access, assignment_for, project_for, require_role
from .base import ID_FIELD, AllowListFilter, Filter, document_for
from .serializers import (
    AcceptedOutput,
    AssignmentOutput,
    DistributeOutput,
    DocumentAgreementDetailOutput,
    DocumentAgreementOutput,
    GoldSpanChangeInput,
    GoldSpanCreateInput,
    GoldSpanListOutput,
    GoldSpanOutput,
    GoldStatusInput,
    GoldStatusOutput,
    PremergeInput,
    ProjectAgreementOutput,
    SkipInput,
)
from .spans import OneDocumentList, label_of, refused

ASSIGNMENT_STATUS = Filter(
    serializers.ChoiceField(choices=AssignmentStatus.choices),
    "status",
    "one of " + ", ".join(AssignmentStatus.values),
)
ASSIGNMENT_ORDERING = ("id", "document", "status", "span_count", "submitted", "updated")


def _assignment_refused(error: AssignmentError) -> ValidationError:
    return ValidationError({"detail": str(error)})


# --------------------------------------------------------------------------- assignments


class MyAssignments(ListAPIView):
    """Your assignments in every project."""

    access = Access.AUTHENTICATED
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput
    filter_backends = [AllowListFilter]
    filters = {
        "status": ASSIGNMENT_STATUS,
        "project": Filter(
            serializers.SlugField(max_length=100), "document__project__slug", "project slug"
        ),
    }
    ordering_fields = ASSIGNMENT_ORDERING

    def get_queryset(self):
        return (
            Assignment.objects.filter(
                annotator=self.request.user,
                document__in=Document.objects.visible_to(self.request.user),
            )
            .select_related("annotator", "document__project")
            .order_by("id")
        )


class ProjectAssignments(ListAPIView):
    """Every assignment of the project (curators and managers)."""

    access = Access.CURATOR
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput
    filter_backends = [AllowListFilter]
    filters = {
        "status": ASSIGNMENT_STATUS,
        "annotator": Filter(
            serializers.CharField(max_length=150), "annotator__username", "annotator's username"
        ),
        "document": Filter(ID_FIELD, "document_id", "document id", OpenApiTypes.INT),
    }
    ordering_fields = ASSIGNMENT_ORDERING

    def get_queryset(self):
        project = project_for(self.request.user, self.kwargs["slug"], Access.CURATOR)
        return (
            Assignment.objects.filter(document__project=project)
            .select_related("annotator", "document__project")
            .order_by("id")
        )


class AssignmentsDistribute(GenericAPIView):
    """Give every document its quota of pool annotators (managers)."""

    access = Access.MANAGER
    queryset = Assignment.objects.none()
    serializer_class = DistributeOutput

    @extend_schema(request=None, responses=DistributeOutput)
    def post(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug, Access.MANAGER)
        try:
            created = assignments_distribute(project=project)
        except AssignmentError as error:
            raise _assignment_refused(error) from None
        return Response(DistributeOutput({"created": created}).data)


class AssignmentReopen(GenericAPIView):
    """Give a submitted or skipped assignment back to its annotator (curators)."""

    access = Access.CURATOR
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput

    @extend_schema(request=None, responses=AssignmentOutput)
    def post(self, request: Request, slug: str, assignment_id: int) -> Response:
        assignment = assignment_for(request.user, slug, assignment_id, Access.CURATOR)
        assignment = assignment_reopen(assignment=assignment)
        return Response(AssignmentOutput(_reloaded(assignment)).data)


def _reloaded(assignment: Assignment) -> Assignment:
    return Assignment.objects.select_related("annotator", "document__project").get(pk=assignment.pk)


class AssignmentSubmit(GenericAPIView):
    """Hand in your work on the document: your spans become read-only."""

    access = Access.MEMBER
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput

    @extend_schema(request=None, responses=AssignmentOutput)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        try:
            assignment = assignment_submit(document=document, annotator=request.user)
        except AssignmentError as error:
            raise _assignment_refused(error) from None
        return Response(AssignmentOutput(_reloaded(assignment)).data)


class AssignmentSkip(GenericAPIView):
    """Decline the document, saying why."""

    access = Access.MEMBER
    queryset = Assignment.objects.none()
    serializer_class = AssignmentOutput

    @extend_schema(request=SkipInput, responses=AssignmentOutput)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id)
        incoming = SkipInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            assignment = assignment_skip(
                document=document, annotator=request.user, reason=incoming.validated_data["reason"]
            )
        except AssignmentError as error:
            raise _assignment_refused(error) from None
        return Response(AssignmentOutput(_reloaded(assignment)).data)


# --------------------------------------------------------------------------- agreement


class ProjectAgreementView(RetrieveAPIView):
    """The project's stored agreement summary, as the dashboard shows it."""

    access = Access.CURATOR
    queryset = ProjectAgreement.objects.none()
    serializer_class = ProjectAgreementOutput

    def retrieve(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug, Access.CURATOR)
        stored = ProjectAgreement.objects.filter(project=project).first()
        row = stored or ProjectAgreement(project=project)
        row.reason = project_agreement_reason(stored)
        return Response(ProjectAgreementOutput(row).data)


class DocumentAgreementList(ListAPIView):
    """Per-document agreement of the project, e.g. ``ordering=score`` for the weakest first."""

    access = Access.CURATOR
    queryset = DocumentAgreement.objects.none()
    serializer_class = DocumentAgreementOutput
    filter_backends = [AllowListFilter]
    filters = {
        "score_below": Filter(
            serializers.FloatField(min_value=0, max_value=1),
            "score__lt",
            "exact span F1 below this",
            OpenApiTypes.FLOAT,
        ),
    }
    ordering_fields = ("document", "score", "annotators", "updated")

    def get_queryset(self):
        project = project_for(self.request.user, self.kwargs["slug"], Access.CURATOR)
        return DocumentAgreement.objects.filter(project=project).order_by("document_id")


class DocumentAgreementDetail(RetrieveAPIView):
    """One document's stored statistics; null until two annotators have submitted it.

    ``reason`` says why ``score`` is null: too few submissions, or what the
    statistics lack (no spans from either side).
    """

    access = Access.CURATOR
    queryset = DocumentAgreement.objects.none()
    serializer_class = DocumentAgreementDetailOutput

    def retrieve(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id, Access.CURATOR)
        stored = DocumentAgreement.objects.filter(document=document).first()
        row = stored or DocumentAgreement(
            document=document, annotators=0, score=None, statistics=None
        )
        row.reason = document_score_reason(document=document, stored=stored)
        return Response(DocumentAgreementDetailOutput(row).data)


# --------------------------------------------------------------------------- gold


def _gold_spans():
    return GoldSpan.objects.select_related(
        "document__project", "label", "curator"
    ).prefetch_related("source_spans")


class GoldSpans(OneDocumentList, ListAPIView):
    """The gold version of a document (curators): list, or add an accepted gold span."""

    access = Access.CURATOR
    document_access = Access.CURATOR
    queryset = GoldSpan.objects.none()
    serializer_class = GoldSpanOutput
    filter_backends = [AllowListFilter]
    filters = {
        "status": Filter(
            serializers.ChoiceField(choices=GoldSpanStatus.choices),
            "status",
            "one of " + ", ".join(GoldSpanStatus.values),
        ),
        "label": Filter(ID_FIELD, "label_id", "label id", OpenApiTypes.INT),
    }
    ordering_fields = ("start", "end", "created", "updated")

    def get_queryset(self):
        return (
            GoldSpan.objects.filter(document=self.document())
            .select_related("label", "curator")
            .prefetch_related("source_spans")
            .order_by("start", "-end", "label_id", "id")
        )

    @extend_schema(request=GoldSpanCreateInput, responses={201: GoldSpanOutput})
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id, Access.CURATOR)
        incoming = GoldSpanCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            gold_span = gold_span_create(
                document=document,
                label=label_of(document, values["label"]),
                start=values["start"],
                end=values["end"],
                text=values.get("text"),
                curator=request.user,
            )
        except SpanError as error:
            raise refused(error) from None
        return Response(
            GoldSpanOutput(_gold_spans().get(pk=gold_span.pk)).data, status=status.HTTP_201_CREATED
        )


class GoldSpanView(GenericAPIView):
    access = Access.CURATOR
    queryset = GoldSpan.objects.none()
    serializer_class = GoldSpanOutput

    def gold_span(self) -> GoldSpan:
        """A gold span of the user's projects (else 404) where they curate (else 403)."""
        gold_span = get_object_or_404(
            _gold_spans().filter(document__in=Document.objects.visible_to(self.request.user)),
            pk=self.kwargs["gold_id"],
        )
        require_role(gold_span.document.project, self.request.user, Access.CURATOR)
        return gold_span


class GoldSpanDetail(GoldSpanView):
    """Read, change (relabel, resize, or both) or delete a gold span (curators)."""

    def get(self, request: Request, gold_id: int) -> Response:
        return Response(GoldSpanOutput(self.gold_span()).data)

    @extend_schema(request=GoldSpanChangeInput, responses=GoldSpanOutput)
    def patch(self, request: Request, gold_id: int) -> Response:
        gold_span = self.gold_span()
        incoming = GoldSpanChangeInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            with transaction.atomic():
                if "label" in values:
                    label = label_of(gold_span.document, values["label"])
                    gold_span_relabel(gold_span=gold_span, label=label, curator=request.user)
                if "start" in values:
                    gold_span_resize(
                        gold_span=gold_span,
                        start=values["start"],
                        end=values["end"],
                        text=values.get("text"),
                        curator=request.user,
                    )
        except SpanError as error:
            raise refused(error) from None
        return Response(GoldSpanOutput(_gold_spans().get(pk=gold_span.pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, gold_id: int) -> Response:
        try:
            gold_span_delete(gold_span=self.gold_span(), curator=request.user)
        except GoldError as error:
            raise refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class GoldSpanAccept(GoldSpanView):
    """Accept a proposed gold span."""

    @extend_schema(request=None, responses=GoldSpanOutput)
    def post(self, request: Request, gold_id: int) -> Response:
        gold_span = self.gold_span()
        try:
            gold_span_accept(gold_span=gold_span, curator=request.user)
        except GoldError as error:
            raise refused(error) from None
        return Response(GoldSpanOutput(_gold_spans().get(pk=gold_span.pk)).data)


class GoldPremerge(GenericAPIView):
    """Propose every span at least ``minimum`` submitted annotators agree on."""

    access = Access.CURATOR
    queryset = GoldSpan.objects.none()
    serializer_class = GoldSpanListOutput

    @extend_schema(request=PremergeInput, responses=GoldSpanListOutput)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id, Access.CURATOR)
        incoming = PremergeInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            created = gold_premerge(
                document=document,
                minimum=incoming.validated_data.get("minimum"),
                curator=request.user,
            )
        except GoldError as error:
            raise refused(error) from None
        spans = _gold_spans().filter(pk__in=[gold_span.pk for gold_span in created])
        return Response(GoldSpanListOutput({"created": spans}).data)


class GoldAcceptAll(GenericAPIView):
    access = Access.CURATOR
    queryset = GoldSpan.objects.none()
    serializer_class = AcceptedOutput

    @extend_schema(request=None, responses=AcceptedOutput)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id, Access.CURATOR)
        try:
            accepted = gold_accept_all(document=document, curator=request.user)
        except GoldError as error:
            raise refused(error) from None
        return Response(AcceptedOutput({"accepted": accepted}).data)


class GoldStatusView(GenericAPIView):
    """A document's gold status; POST marks it gold or reopens it (curators)."""

    access = Access.CURATOR
    queryset = Document.objects.none()
    serializer_class = GoldStatusOutput

    def get(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id, Access.CURATOR)
        return Response(GoldStatusOutput(document).data)

    @extend_schema(request=GoldStatusInput, responses=GoldStatusOutput)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for(request, document_id, Access.CURATOR)
        incoming = GoldStatusInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            document = gold_status_set(
                document=document,
                status=incoming.validated_data["status"],
                confirm=incoming.validated_data["confirm"],
            )
        except GoldError as error:
            # Answered as is, not as a ValidationError, which would turn the counts into strings.
            return Response(
                {"detail": error.message, **error.detail}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(GoldStatusOutput(document).data)
