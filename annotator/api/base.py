"""What every API view shares: bounded pagination, allow-listed filters, scoped lookups."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from ..models import Document
from ..permissions import Access, require_role

MAX_PAGE_SIZE = 500
# Far past any real table, and small enough for every database's OFFSET.
MAX_OFFSET = 2**31 - 1


class BoundedPagination(LimitOffsetPagination):
    """``limit`` (default 100, at most 500) and ``offset``; larger values are clamped."""

    default_limit = 100
    max_limit = MAX_PAGE_SIZE

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)


@dataclass(frozen=True)
class Filter:
    """One allowed query parameter: how its value is checked and which lookup it becomes."""

    field: serializers.Field
    lookup: str
    description: str
    kind: OpenApiTypes = OpenApiTypes.STR


# A row id in a query parameter: out-of-range numbers are a 400, not a database error.
ID_FIELD = serializers.IntegerField(min_value=1, max_value=2**63 - 1)

PAGINATION_PARAMETERS = frozenset({"limit", "offset"})


class AllowListFilter(BaseFilterBackend):
    """Filters and ordering only on what the view lists; anything else is a 400.

    A view declares ``filters`` (query parameter -> :class:`Filter`), and
    ``ordering_fields``. Query parameter names and ordering keys are matched
    exactly, so no request can walk a relation (``annotator__password``) or
    order by a field that is not meant to be seen.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        filters: dict[str, Filter] = getattr(view, "filters", {})
        ordering_fields: Sequence[str] = getattr(view, "ordering_fields", ())
        allowed = set(filters) | PAGINATION_PARAMETERS
        if ordering_fields:
            allowed.add("ordering")
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError(
                {
                    "detail": f"Unknown query parameter {unknown[0]!r}"
                    + (": relation lookups are not allowed" if "__" in unknown[0] else "")
                    + f". Allowed here: {', '.join(sorted(allowed))}."
                }
            )
        errors = {}
        for name, spec in filters.items():
            if name not in request.query_params:
                continue
            try:
                value = spec.field.run_validation(request.query_params[name])
            except serializers.ValidationError as error:
                errors[name] = error.detail
                continue
            queryset = queryset.filter(**{spec.lookup: value})
        if errors:
            raise ValidationError(errors)
        if "ordering" in request.query_params:
            queryset = queryset.order_by(*self._ordering(request, ordering_fields), "pk")
        return queryset

    @staticmethod
    def _ordering(request: Request, ordering_fields: Sequence[str]) -> list[str]:
        keys = [key.strip() for key in request.query_params["ordering"].split(",")]
        for key in keys:
            if key.removeprefix("-") not in ordering_fields:
                raise ValidationError(
                    {
                        "ordering": [
                            f"Ordering by {key!r} is not allowed"
                            + ("; relation lookups are not allowed" if "__" in key else "")
                            + f". Allowed: {', '.join(ordering_fields)} (- for descending)."
                        ]
                    }
                )
        return keys

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        parameters = [
            build_parameter_type(
                name=name,
                schema=build_basic_type(spec.kind),
                location=OpenApiParameter.QUERY,
                description=spec.description,
            )
            for name, spec in getattr(view, "filters", {}).items()
        ]
        ordering_fields = getattr(view, "ordering_fields", ())
        if ordering_fields:
            parameters.append(
                build_parameter_type(
                    name="ordering",
                    schema=build_basic_type(OpenApiTypes.STR),
                    location=OpenApiParameter.QUERY,
                    description="Comma-separated, - for descending; one of: "
                    + ", ".join(ordering_fields),
                )
            )
        return parameters


def document_for(request: Request, document_id: int, access: Access = Access.MEMBER) -> Document:
    """A document by id: 404 outside the user's projects, 403 if their role is below ``access``."""
    document = get_object_or_404(
        Document.objects.visible_to(request.user).select_related("project"), pk=document_id
    )
    require_role(document.project, request.user, access)
    return document
