"""Dataset writers for gold spans: one module per format, releases and their jobs.

- ``reader``: the chunked read of a selection (gold, all annotators, one annotator).
- ``jsonl``, ``conll``, ``spacy_docbin``, ``huggingface``, ``brat``, ``w3c``: one
  writer per format; ``formats`` lists them and writes one (a folder of files by
  split), streams it zipped, previews it or counts the spans it leaves out.
- ``releases``: immutable versioned zips of every format, with ``card`` (the
  dataset card); ``release_jobs``: the queue the release worker builds them from;
  ``release_workers``: the workers' heartbeat rows and ``release_worker --status``.
- ``downloads``: who may export, and the responses that send an export or a release.
- ``zipstream``: a zip written front to back as it is sent (through ``stream-zip``).
- ``network_files``: the discourse network as GraphML and CSV edge lists.

``records`` holds the plain data the writers take (``ExportDocument``,
``ExportSpan``, ``ExportCounts`` with the spans left out by reason and label) and
the helpers they share; ``splits`` assigns documents to train/validation/test and
hands them to a writer split by split. Writers are imported from their own modules so that
the optional heavy dependencies (spaCy, pyarrow) load only when used. All
offsets are Python code points, half-open ``[start, end)``.
"""
