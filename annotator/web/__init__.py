"""HTML pages and their htmx fragments, one module per area; routes in ``urls.py``.

- ``projects``: the project list, a project's document list (an annotator's
  queue) and its guidelines.
- ``annotate``: the annotate page and its span writes, submit and skip.
- ``curation``: assignments and distribution, the dashboard.
- ``network``: the discourse network page, its downloads and the actor aliases.
- ``manage``: setting a project up (managers): create it, its settings and
  guidelines with a live preview, its labels, its members.
- ``documents``: a manager's document pages: upload with progress, find by words,
  status and assignee, assign by hand.
- ``adjudicate``: the adjudication page and its gold-span writes.
- ``exports``: the Export page, downloads, release requests and their jobs.
- ``audit``: the audit log page.
- ``span_imports``: importing spans or suggestions from JSON Lines (manager).
- ``suggestions``: asking for a trained model (curator); its figures are on the dashboard.
- ``account``: the user's own settings (API tokens).
- ``health``: ``/healthz`` and ``/readyz`` for load balancers.
- ``forms`` and ``refusals``: reading posted values, and the answer to a refused write.

Every page works as plain links and form posts; an htmx request to the same URL
gets the page's named partial. Views check access through
:mod:`annotator.permissions` and call the services in ``annotation/``,
``curation/`` and ``exports/``; templates mirror these modules under
``templates/annotator/``.
"""
