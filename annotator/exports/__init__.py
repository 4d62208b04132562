"""Dataset writers for gold spans: one module per format.

``records`` holds the plain data the writers take (``ExportDocument``,
``ExportSpan``) and the helpers they share; ``splits`` assigns documents to
train/validation/test. Writers are imported from their own modules so that
the optional heavy dependencies (spaCy, pyarrow) load only when used. All
offsets are Python code points, half-open ``[start, end)``.
"""
