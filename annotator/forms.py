"""Reading posted values for the pages' plain-form and htmx writes."""

from django.http import HttpRequest


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
