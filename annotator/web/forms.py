"""Reading posted values for the pages' plain-form and htmx writes."""

from django.http import HttpRequest

from ..models import Label, Project


def posted_int(request: HttpRequest, name: str) -> int | str | None:
    """The posted value as an int, or as sent when it is not one.

    The services reject a non-integer with a message that quotes it, so the
    raw value is passed on rather than dropped.
    """
    value = request.POST.get(name)
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def posted_label(request: HttpRequest, project: Project) -> Label | None:
    """The project's label whose id is posted as ``label``, or None (missing, not a number,
    another project's)."""
    label_id = posted_int(request, "label")
    if not isinstance(label_id, int):
        return None
    return Label.objects.filter(project=project, pk=label_id).first()
