"""An annotator's progress on a document."""

from .models import Assignment, AssignmentStatus, Document


def assignment_mark(*, document: Document, annotator, status: AssignmentStatus) -> Assignment:
    """Mark the document done for this annotator, or back in progress."""
    if status not in (AssignmentStatus.DONE, AssignmentStatus.IN_PROGRESS):
        raise ValueError(f"An annotator cannot set the status {status!r}.")
    assignment, _ = Assignment.objects.update_or_create(
        document=document, annotator=annotator, defaults={"status": status}
    )
    return assignment
