"""Annotator: news articles turned into gold-standard span annotations and datasets.

Where things live (each package's own docstring says more):

- ``models.py``: the data and its invariants (database constraints and triggers).
- ``permissions.py``: the one permission model (roles per project) every view declares.
- ``audit.py``: the append-only audit log of span, gold-span, relation and attribute writes.
- ``api_tokens.py``: personal API tokens, created and revoked by their owner.
- ``projects/``: setting a project up (the project, its labels, relation types and
  attributes, its members), finding its documents, readable label colours.
- ``admin_site.py``: the Django admin, admitting superusers only.
- ``untrusted_json.py``: JSON from outside (request bodies, JSONL imports) read into
  values both databases store, refusing the rest with a clause that names it.
- ``wording.py``: how refusals are worded (articles, quoted text, whole sentences).
- ``annotation/``: writing annotations: spans, assignments, document imports,
  tokenisation, and the annotate page's highlighting.
- ``curation/``: agreement maths and its stored figures, adjudication, gold spans,
  gold relations and attribute values, the dashboard's data.
- ``exports/``: reading gold data, one writer per dataset format, releases and
  their background jobs.
- ``deployment/``: running on real machines: stored files from disk or a bucket, the
  ``/readyz`` probes, the ``check --deploy`` checks.
- ``web/``: HTML pages and htmx fragments, one module per area, routed by ``web/urls.py``.
- ``api/``: the REST API under ``/api/v1/``, routed by ``api/urls.py``.
- ``admin.py``, ``management/commands/`` (import, export, releases, the release
  worker, demo users), ``migrations/``, ``static/annotator/`` (the pages' scripts).

Pages, API and commands call the services in ``annotation/``, ``curation/``,
``exports/`` and the top-level service modules; services never import from ``web/``
or ``api/``.
"""
