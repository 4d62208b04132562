"""Routes of the audit log; included from annotator/urls.py."""

from django.urls import path

from . import audit_views

urlpatterns = [
    path("projects/<slug:slug>/audit/", audit_views.audit_log, name="audit-log"),
]
