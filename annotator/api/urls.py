"""Routes of the REST API, mounted at ``/api/v1/`` by project/urls.py."""

from django.urls import path

from . import (
    curation,
    exports,
    gold_relations,
    projects,
    relations,
    span_imports,
    spans,
    suggestions,
)

PROJECT = "projects/<slug:slug>/"
DOCUMENT = "documents/<int:document_id>/"

urlpatterns = [
    path("projects/", projects.ProjectList.as_view(), name="api-projects"),
    path(PROJECT, projects.ProjectDetail.as_view(), name="api-project"),
    path(f"{PROJECT}labels/", projects.LabelList.as_view(), name="api-labels"),
    path(
        f"{PROJECT}relation-types/",
        relations.RelationTypeList.as_view(),
        name="api-relation-types",
    ),
    path(f"{PROJECT}attributes/", relations.LabelAttributeList.as_view(), name="api-attributes"),
    path(f"{PROJECT}documents/", projects.DocumentList.as_view(), name="api-documents"),
    path(
        f"{PROJECT}documents/import/",
        projects.DocumentImport.as_view(),
        name="api-documents-import",
    ),
    path(f"{PROJECT}spans/import/", span_imports.SpanImport.as_view(), name="api-spans-import"),
    path(f"{PROJECT}models/", suggestions.TrainedModels.as_view(), name="api-models"),
    path(f"{PROJECT}assignments/", curation.ProjectAssignments.as_view(), name="api-assignments"),
    path(
        f"{PROJECT}assignments/distribute/",
        curation.AssignmentsDistribute.as_view(),
        name="api-assignments-distribute",
    ),
    path(
        f"{PROJECT}assignments/<int:assignment_id>/reopen/",
        curation.AssignmentReopen.as_view(),
        name="api-assignment-reopen",
    ),
    path(f"{PROJECT}agreement/", curation.ProjectAgreementView.as_view(), name="api-agreement"),
    path(
        f"{PROJECT}agreement/documents/",
        curation.DocumentAgreementList.as_view(),
        name="api-agreement-documents",
    ),
    path("assignments/", curation.MyAssignments.as_view(), name="api-my-assignments"),
    path(DOCUMENT, projects.DocumentDetail.as_view(), name="api-document"),
    path(f"{DOCUMENT}spans/", spans.DocumentSpans.as_view(), name="api-spans"),
    path(f"{DOCUMENT}relations/", relations.DocumentRelations.as_view(), name="api-relations"),
    path(
        f"{DOCUMENT}attributes/",
        relations.DocumentSpanAttributes.as_view(),
        name="api-span-attributes",
    ),
    path(f"{DOCUMENT}submit/", curation.AssignmentSubmit.as_view(), name="api-submit"),
    path(f"{DOCUMENT}skip/", curation.AssignmentSkip.as_view(), name="api-skip"),
    path(
        f"{DOCUMENT}agreement/",
        curation.DocumentAgreementDetail.as_view(),
        name="api-document-agreement",
    ),
    path(f"{DOCUMENT}gold/", curation.GoldSpans.as_view(), name="api-gold-spans"),
    path(f"{DOCUMENT}gold/premerge/", curation.GoldPremerge.as_view(), name="api-gold-premerge"),
    path(
        f"{DOCUMENT}gold/accept-all/", curation.GoldAcceptAll.as_view(), name="api-gold-accept-all"
    ),
    path(f"{DOCUMENT}gold/status/", curation.GoldStatusView.as_view(), name="api-gold-status"),
    path(
        f"{DOCUMENT}gold/relations/",
        gold_relations.DocumentGoldRelations.as_view(),
        name="api-gold-relations",
    ),
    path(
        f"{DOCUMENT}gold/attributes/",
        gold_relations.DocumentGoldAttributes.as_view(),
        name="api-gold-attributes",
    ),
    path(
        f"{DOCUMENT}suggestions/",
        suggestions.DocumentSuggestions.as_view(),
        name="api-suggestions",
    ),
    path(
        f"{DOCUMENT}suggestions/accept-all/",
        suggestions.SuggestionsAcceptAll.as_view(),
        name="api-suggestions-accept-all",
    ),
    path(
        "suggestions/<int:suggestion_id>/accept/",
        suggestions.SuggestionAccept.as_view(),
        name="api-suggestion-accept",
    ),
    path(
        "suggestions/<int:suggestion_id>/reject/",
        suggestions.SuggestionReject.as_view(),
        name="api-suggestion-reject",
    ),
    path(
        "suggestions/<int:suggestion_id>/undo/",
        suggestions.SuggestionUndo.as_view(),
        name="api-suggestion-undo",
    ),
    path("spans/<int:span_id>/", spans.SpanDetail.as_view(), name="api-span"),
    path(
        "spans/<int:span_id>/attributes/<int:attribute_id>/",
        relations.SpanAttributeDetail.as_view(),
        name="api-span-attribute",
    ),
    path("relations/<int:relation_id>/", relations.RelationDetail.as_view(), name="api-relation"),
    path("gold/<int:gold_id>/", curation.GoldSpanDetail.as_view(), name="api-gold-span"),
    path(
        "gold/<int:gold_id>/accept/", curation.GoldSpanAccept.as_view(), name="api-gold-span-accept"
    ),
    path(
        "gold/<int:gold_id>/attributes/<int:attribute_id>/",
        gold_relations.GoldAttributeDetail.as_view(),
        name="api-gold-attribute",
    ),
    path(
        "gold-relations/<int:gold_relation_id>/",
        gold_relations.GoldRelationDetail.as_view(),
        name="api-gold-relation",
    ),
    path(
        "gold-relations/<int:gold_relation_id>/accept/",
        gold_relations.GoldRelationAccept.as_view(),
        name="api-gold-relation-accept",
    ),
    path(f"{PROJECT}export/summary/", exports.ExportSummary.as_view(), name="api-export-summary"),
    path(
        f"{PROJECT}export/download/", exports.ExportDownload.as_view(), name="api-export-download"
    ),
    path(f"{PROJECT}releases/", exports.ReleaseList.as_view(), name="api-releases"),
    path(f"{PROJECT}releases/<int:version>/", exports.ReleaseDetail.as_view(), name="api-release"),
    path(
        f"{PROJECT}releases/<int:version>/download/",
        exports.ReleaseDownload.as_view(),
        name="api-release-download",
    ),
    path(
        f"{PROJECT}release-jobs/<int:job_id>/",
        exports.ReleaseJobDetail.as_view(),
        name="api-release-job",
    ),
]
