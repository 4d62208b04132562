"""Curation: how far annotators agree, and the gold spans a curator settles.

- ``agreement``: the agreement maths, pure functions (span F1, kappas, alphas, relation
  F1 and attribute agreement).
- ``agreement_refresh``: feeds that maths from the database and stores the
  per-document and per-project figures when assignments are submitted or reopened.
- ``adjudication``: aligning annotators' spans and proposing gold (pure functions).
- ``gold``: the gold-span services (pre-merge, accept, create, edit, mark gold),
  with provenance and the audit record.
- ``gold_relations``: the curator's writes on gold relations and gold attribute values
  (the pre-merge proposes them in ``gold``).
- ``dashboard``: what the dashboard shows, read from stored rows.
- ``suggestion_figures``: the dashboard's figures on suggestions: decisions per source,
  pseudo-annotators against gold, trained models' validation scores.
- ``network``: the discourse network (actors and statements, actors and actors) from
  the export reader's documents (pure functions); ``actor_aliases``: the merges of
  actor variants it uses.
"""
