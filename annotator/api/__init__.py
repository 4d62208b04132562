"""The REST API under ``/api/v1/``; routes in ``urls.py``, schema at ``/api/schema/``.

- ``projects``: projects, labels, documents and document imports.
- ``spans``: an annotator's own spans.
- ``span_imports``: importing spans or suggestions from JSON Lines (managers).
- ``suggestions``: an annotator's own suggestions: list, accept, reject, undo, accept all.
- ``curation``: assignments, agreement figures and gold spans.
- ``gold_relations``: gold relations and gold attribute values (curators).
- ``exports``: export summaries and downloads, releases and release jobs.
- ``serializers``: explicit input and output serializers of all of the above.
- ``base``: pagination, allow-listed filters and the shared lookups.
- ``parsers``: the JSON parser, through :mod:`annotator.untrusted_json`.
- ``authentication``: ``Authorization: Bearer`` tokens (see :mod:`annotator.api_tokens`).

Every view scopes objects through the ``visible_to`` querysets (another
project's object is a 404), checks the role next (403), and lets DRF answer
anonymous requests with 401. Writes go through the same service functions as
the HTML views; serializers only validate input and shape output.
"""
