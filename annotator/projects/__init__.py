"""Setting a project up and finding its documents: the services of the manager's pages.

- ``setup``: the project itself, its labels and its members (create, edit, remove).
- ``relation_setup``: its relation types and label attributes (create, edit, remove).
- ``search``: finding a project's documents by words, status and assignee
  (PostgreSQL full-text search, a plain filter on SQLite).
- ``colours``: label colours that keep the text on them readable (WCAG contrast),
  and the palette the label form offers.
"""
