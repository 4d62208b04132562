"""Dataset writers for gold spans: one module per format, releases and their jobs.

- ``reader``: the chunked read of a selection (gold, all annotators, one annotator).
- ``jsonl``, ``conll``, ``spacy_docbin``, ``huggingface``, ``brat``, ``w3c``: one
  writer per format; ``formats`` lists them and writes, streams or previews one.
- ``releases``: immutable versioned zips of every format, with ``card`` (the
  dataset card); ``release_jobs``: the queue the release worker builds them from;
  ``release_workers``: the workers' heartbeat rows and ``release_worker --status``.
- ``downloads``: who may export, and the responses that send an export or a release.
- ``zipstream``: a zip written front to back in bounded memory.

``records`` holds the plain data the writers take (``ExportDocument``,
``ExportSpan``) and the helpers they share; ``splits`` assigns documents to
train/validation/test. Writers are imported from their own modules so that
the optional heavy dependencies (spaCy, pyarrow) load only when used. All
offsets are Python code points, half-open ``[start, end)``.
"""
