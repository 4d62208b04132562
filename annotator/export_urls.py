"""Routes of this part of the app; included from annotator/urls.py."""

from django.urls import path

from . import export_api, export_views

urlpatterns = [
    path("projects/<slug:slug>/export/", export_views.export_page, name="export"),
    path(
        "projects/<slug:slug>/export/download/",
        export_views.export_download,
        name="export-download",
    ),
    path(
        "projects/<slug:slug>/releases/",
        export_views.release_create_view,
        name="release-create",
    ),
    path(
        "projects/<slug:slug>/releases/jobs/",
        export_views.release_jobs,
        name="release-jobs",
    ),
    path(
        "projects/<slug:slug>/releases/<int:version>/download/",
        export_views.release_download,
        name="release-download",
    ),
    path(
        "api/v1/projects/<slug:slug>/export/summary/",
        export_api.ExportSummary.as_view(),
        name="api-export-summary",
    ),
    path(
        "api/v1/projects/<slug:slug>/export/download/",
        export_api.ExportDownload.as_view(),
        name="api-export-download",
    ),
    path(
        "api/v1/projects/<slug:slug>/releases/",
        export_api.ReleaseList.as_view(),
        name="api-releases",
    ),
    path(
        "api/v1/projects/<slug:slug>/releases/<int:version>/",
        export_api.ReleaseDetail.as_view(),
        name="api-release",
    ),
    path(
        "api/v1/projects/<slug:slug>/releases/<int:version>/download/",
        export_api.ReleaseDownload.as_view(),
        name="api-release-download",
    ),
    path(
        "api/v1/projects/<slug:slug>/release-jobs/<int:job_id>/",
        export_api.ReleaseJobDetail.as_view(),
        name="api-release-job",
    ),
]
