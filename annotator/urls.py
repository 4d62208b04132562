from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/<slug:slug>/", views.document_list, name="document-list"),
    path("projects/<slug:slug>/guidelines/", views.guidelines, name="guidelines"),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/",
        views.annotate,
        name="annotate",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/spans/",
        views.span_create_view,
        name="span-create",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/status/",
        views.document_status_view,
        name="document-status",
    ),
    path("spans/<int:span_id>/delete/", views.span_delete_view, name="span-delete"),
    path("spans/<int:span_id>/relabel/", views.span_relabel_view, name="span-relabel"),
    path("api/v1/", include("annotator.api_urls")),
    path("", include("annotator.account_urls")),
    path("", include("annotator.curation_urls")),
    path("", include("annotator.audit_urls")),
    path("", include("annotator.export_urls")),
]
