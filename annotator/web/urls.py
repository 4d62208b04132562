"""Routes of every HTML page and htmx fragment; the REST API is routed by annotator/api/urls.py."""

from django.urls import path

from . import (
    account,
    adjudicate,
    annotate,
    audit,
    curation,
    documents,
    exports,
    health,
    manage,
    network,
    projects,
    relations,
    span_imports,
    suggestions,
)

PROJECT = "projects/<slug:slug>/"
DOCUMENT = f"{PROJECT}documents/<int:document_id>/"
ADJUDICATE = f"{DOCUMENT}adjudicate/"

urlpatterns = [
    # For load balancers: the process answers; it can serve (settings exempt both from
    # the HTTPS redirect)
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Projects and their documents
    path("", projects.project_list, name="project-list"),
    path(PROJECT, projects.document_list, name="document-list"),
    path(f"{PROJECT}guidelines/", projects.guidelines, name="guidelines"),
    # Setting a project up (managers)
    path("new-project/", manage.project_create_view, name="project-create"),
    path("guidelines-preview/", manage.guidelines_preview, name="guidelines-preview"),
    path(f"{PROJECT}settings/", manage.project_settings, name="project-settings"),
    path(f"{PROJECT}labels/", manage.labels, name="labels"),
    path(f"{PROJECT}labels/<int:label_id>/", manage.label_edit, name="label-edit"),
    path(f"{PROJECT}labels/<int:label_id>/delete/", manage.label_delete_view, name="label-delete"),
    path(f"{PROJECT}relation-types/", manage.relation_settings, name="relation-settings"),
    path(
        f"{PROJECT}relation-types/<int:relation_type_id>/",
        manage.relation_type_edit,
        name="relation-type-edit",
    ),
    path(
        f"{PROJECT}relation-types/<int:relation_type_id>/delete/",
        manage.relation_type_delete_view,
        name="relation-type-delete",
    ),
    path(f"{PROJECT}attributes/", manage.attribute_add, name="attribute-add"),
    path(f"{PROJECT}attributes/<int:attribute_id>/", manage.attribute_edit, name="attribute-edit"),
    path(
        f"{PROJECT}attributes/<int:attribute_id>/delete/",
        manage.attribute_delete_view,
        name="attribute-delete",
    ),
    path(f"{PROJECT}members/", manage.members, name="members"),
    path(f"{PROJECT}members/<int:membership_id>/", manage.member_edit, name="member-edit"),
    path(
        f"{PROJECT}members/<int:membership_id>/remove/",
        manage.member_remove_view,
        name="member-remove",
    ),
    path(f"{PROJECT}upload/", documents.upload, name="documents-upload"),
    path(f"{PROJECT}find/", documents.document_search, name="document-search"),
    path(f"{DOCUMENT}assign/", documents.document_assign, name="document-assign"),
    # Annotating
    path(DOCUMENT, annotate.annotate, name="annotate"),
    path(f"{DOCUMENT}spans/", annotate.span_create_view, name="span-create"),
    path(f"{DOCUMENT}status/", annotate.document_status_view, name="document-status"),
    path("spans/<int:span_id>/delete/", annotate.span_delete_view, name="span-delete"),
    path("spans/<int:span_id>/relabel/", annotate.span_relabel_view, name="span-relabel"),
    path(f"{DOCUMENT}relations/", relations.relation_create_view, name="relation-create"),
    path(
        "relations/<int:relation_id>/delete/",
        relations.relation_delete_view,
        name="relation-delete",
    ),
    path(
        "spans/<int:span_id>/attributes/<int:attribute_id>/",
        relations.span_attribute_view,
        name="span-attribute",
    ),
    path(f"{DOCUMENT}suggestions/", suggestions.suggestions_view, name="suggestions"),
    path(
        f"{DOCUMENT}suggestions/accept-all/",
        suggestions.suggestions_accept_all_view,
        name="suggestions-accept-all",
    ),
    path(
        "suggestions/<int:suggestion_id>/accept/",
        suggestions.suggestion_accept_view,
        name="suggestion-accept",
    ),
    path(
        "suggestions/<int:suggestion_id>/reject/",
        suggestions.suggestion_reject_view,
        name="suggestion-reject",
    ),
    path(
        "suggestions/<int:suggestion_id>/undo/",
        suggestions.suggestion_undo_view,
        name="suggestion-undo",
    ),
    # Curation: assignments, the dashboard and the discourse network
    path(f"{PROJECT}dashboard/", curation.dashboard, name="dashboard"),
    path(f"{PROJECT}network/", network.network_page, name="network"),
    path(f"{PROJECT}network/download/", network.network_download, name="network-download"),
    path(f"{PROJECT}network/aliases/", network.actor_alias_create_view, name="actor-alias-create"),
    path(
        f"{PROJECT}network/aliases/undo/",
        network.actor_alias_delete_view,
        name="actor-alias-delete",
    ),
    path(f"{PROJECT}assignments/", curation.assignments, name="assignments"),
    path(
        f"{PROJECT}assignments/distribute/",
        curation.assignments_distribute_view,
        name="assignments-distribute",
    ),
    path(
        f"{PROJECT}assignments/distribute/undo/",
        curation.assignments_distribute_undo_view,
        name="assignments-distribute-undo",
    ),
    # Adjudication
    path(
        f"{PROJECT}assignments/<int:assignment_id>/reopen/",
        adjudicate.assignment_reopen_view,
        name="assignment-reopen",
    ),
    path(ADJUDICATE, adjudicate.adjudicate, name="adjudicate"),
    path(f"{ADJUDICATE}premerge/", adjudicate.gold_premerge_view, name="gold-premerge"),
    path(f"{ADJUDICATE}accept-all/", adjudicate.gold_accept_all_view, name="gold-accept-all"),
    path(f"{ADJUDICATE}spans/", adjudicate.gold_span_create_view, name="gold-span-create"),
    path(f"{ADJUDICATE}status/", adjudicate.gold_status_view, name="gold-status"),
    path(f"{ADJUDICATE}revert/", adjudicate.gold_revert_view, name="gold-revert"),
    path(
        f"{ADJUDICATE}relations/",
        adjudicate.gold_relation_create_view,
        name="gold-relation-create",
    ),
    path(
        f"{PROJECT}gold-relations/<int:gold_relation_id>/accept/",
        adjudicate.gold_relation_accept_view,
        name="gold-relation-accept",
    ),
    path(
        f"{PROJECT}gold-relations/<int:gold_relation_id>/delete/",
        adjudicate.gold_relation_delete_view,
        name="gold-relation-delete",
    ),
    path(
        f"{PROJECT}gold/<int:gold_id>/attributes/<int:attribute_id>/",
        adjudicate.gold_attribute_view,
        name="gold-attribute",
    ),
    path(
        f"{PROJECT}spans/<int:span_id>/adopt/",
        adjudicate.gold_span_adopt_view,
        name="gold-span-adopt",
    ),
    path(
        f"{PROJECT}gold/<int:gold_id>/accept/",
        adjudicate.gold_span_accept_view,
        name="gold-span-accept",
    ),
    path(
        f"{PROJECT}gold/<int:gold_id>/delete/",
        adjudicate.gold_span_delete_view,
        name="gold-span-delete",
    ),
    path(
        f"{PROJECT}gold/<int:gold_id>/relabel/",
        adjudicate.gold_span_relabel_view,
        name="gold-span-relabel",
    ),
    path(
        f"{PROJECT}gold/<int:gold_id>/resize/",
        adjudicate.gold_span_resize_view,
        name="gold-span-resize",
    ),
    # Exports and releases
    path(f"{PROJECT}export/", exports.export_page, name="export"),
    path(f"{PROJECT}export/download/", exports.export_download, name="export-download"),
    path(f"{PROJECT}releases/", exports.release_create_view, name="release-create"),
    path(f"{PROJECT}releases/jobs/", exports.release_jobs, name="release-jobs"),
    path(
        f"{PROJECT}releases/<int:version>/download/",
        exports.release_download,
        name="release-download",
    ),
    # Importing spans and suggestions
    path(f"{PROJECT}spans/import/", span_imports.span_import, name="span-import"),
    path(f"{PROJECT}models/train/", suggestions.model_train_view, name="model-train"),
    # Audit log
    path(f"{PROJECT}audit/", audit.audit_log, name="audit-log"),
    # The user's own settings
    path("settings/tokens/", account.tokens, name="tokens"),
    path(
        "settings/tokens/<int:token_id>/revoke/",
        account.token_revoke_view,
        name="token-revoke",
    ),
]
