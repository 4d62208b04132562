"""Routes of curation: assignments, dashboard, adjudication; included from annotator/urls.py."""

from django.urls import path

from . import curation_views as views

DOCUMENT = "projects/<slug:slug>/documents/<int:document_id>/adjudicate/"

urlpatterns = [
    path("projects/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("projects/<slug:slug>/assignments/", views.assignments, name="assignments"),
    path(
        "projects/<slug:slug>/assignments/distribute/",
        views.assignments_distribute_view,
        name="assignments-distribute",
    ),
    path(
        "projects/<slug:slug>/assignments/<int:assignment_id>/reopen/",
        views.assignment_reopen_view,
        name="assignment-reopen",
    ),
    path(DOCUMENT, views.adjudicate, name="adjudicate"),
    path(f"{DOCUMENT}premerge/", views.gold_premerge_view, name="gold-premerge"),
    path(f"{DOCUMENT}accept-all/", views.gold_accept_all_view, name="gold-accept-all"),
    path(f"{DOCUMENT}spans/", views.gold_span_create_view, name="gold-span-create"),
    path(f"{DOCUMENT}status/", views.gold_status_view, name="gold-status"),
    path(
        "projects/<slug:slug>/spans/<int:span_id>/adopt/",
        views.gold_span_adopt_view,
        name="gold-span-adopt",
    ),
    path(
        "projects/<slug:slug>/gold/<int:gold_id>/accept/",
        views.gold_span_accept_view,
        name="gold-span-accept",
    ),
    path(
        "projects/<slug:slug>/gold/<int:gold_id>/delete/",
        views.gold_span_delete_view,
        name="gold-span-delete",
    ),
    path(
        "projects/<slug:slug>/gold/<int:gold_id>/relabel/",
        views.gold_span_relabel_view,
        name="gold-span-relabel",
    ),
    path(
        "projects/<slug:slug>/gold/<int:gold_id>/resize/",
        views.gold_span_resize_view,
        name="gold-span-resize",
    ),
]
