"""Writing annotations: the services every page, API view and command calls.

- ``spans``: create, delete and relabel an annotator's span, with the checks
  (offsets, quoted text, overlap rules, open assignment) and the audit record.
- ``assignments``: who annotates which document, distribution, submit (and its
  short-lived undo), skip, reopen, and an annotator's queue.
- ``imports``: documents from ``.txt`` and JSONL files, all or nothing.
- ``span_imports``: spans from JSON Lines (doccano or W3C), as a member's spans, a
  pseudo-annotator's or suggestions, all or nothing.
- ``suggestions``: suggestions offered to annotators, and their decisions (accept, reject,
  undo, accept all of a label); an accepted one becomes a span with its origin.
- ``string_match``: string-match proposals from gold and the annotator's own spans, through
  Aho-Corasick automata cached per process.
- ``spancat`` and ``training``: a spaCy span categorizer trained from gold by the train
  worker (spaCy loaded there only), scored on the validation split, whose predictions
  become suggestions.
- ``tokenization``: the one tokenisation used by agreement and token-based exports.
- ``highlight``: each label's mark (the line that tells labels apart without colour),
  and, for browsers without JavaScript, the text with spans as nested marks and the span list.

Offsets are Python code points into ``Document.text``, half-open ``[start, end)``.
"""
