"""Writing annotations: the services every page, API view and command calls.

- ``spans``: create, delete and relabel an annotator's span, with the checks
  (offsets, quoted text, overlap rules, open assignment) and the audit record.
- ``assignments``: who annotates which document, distribution, submit (and its
  short-lived undo), skip, reopen, and an annotator's queue.
- ``imports``: documents from ``.txt`` and JSONL files, all or nothing.
- ``tokenization``: the one tokenisation used by agreement and token-based exports.
- ``highlight``: each label's mark (the line that tells labels apart without colour),
  and, for browsers without JavaScript, the text with spans as nested marks and the span list.

Offsets are Python code points into ``Document.text``, half-open ``[start, end)``.
"""
