"""Property: span offsets through the API, on any text, emoji and combining marks included.

An accepted span satisfies ``0 <= start < end <= len(text)`` in code points and
stores exactly the requested range with its surrounding whitespace trimmed; a
refused one changes nothing; no request is answered with a 5xx.
"""

from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from annotator.models import Assignment, Document, Span

# Pieces of text: ASCII, whitespace of several kinds, emoji (one with joiners), a letter
# with a combining accent (NFC folds it on save), and any other character but NUL
# and lone surrogates, which no database stores.
TEXT = st.lists(
    st.one_of(
        st.sampled_from(
            ["a", "b", " ", "\n", "\r\n", "\t", "🎉", "👩‍🔬", "e\u0301", "\u00a0", "ß"]
        ),
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    ),
    min_size=1,
    max_size=30,
).map("".join)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(source=TEXT, data=st.data())
def test_span_offsets_through_the_api(project, labels, alice, source, data):
    document = Document.objects.create(project=project, title="Property", text=source)
    text = document.text  # normalised on save (NFC, line endings)
    if data.draw(st.booleans(), label="in range"):
        start = data.draw(st.integers(min_value=0, max_value=len(text) - 1), label="start")
        end = data.draw(st.integers(min_value=start + 1, max_value=len(text)), label="end")
    else:
        start = data.draw(st.integers(min_value=-2, max_value=len(text) + 2), label="start")
        end = data.draw(st.integers(min_value=-2, max_value=len(text) + 2), label="end")
    quote = data.draw(
        st.one_of(st.none(), st.just(text[max(start, 0) : max(end, 0)]), TEXT), label="text"
    )
    body = {"label": labels["actor"].pk, "start": start, "end": end}
    if quote is not None:
        body["text"] = quote
    client = APIClient()
    client.force_authenticate(alice)
    before = list(Span.objects.values_list("id", "start", "end"))

    response = client.post(reverse("api-spans", args=[document.pk]), body, format="json")

    assert response.status_code in (201, 400), response.content
    event(f"status {response.status_code}")
    if response.status_code == 400:
        assert list(Span.objects.values_list("id", "start", "end")) == before
        assert not Assignment.objects.filter(document=document).exists()
        return
    span = Span.objects.get(pk=response.json()["id"])
    assert 0 <= span.start < span.end <= len(text)
    selected = text[start:end]
    assert 0 <= start < end <= len(text)
    assert quote is None or quote == selected
    assert text[span.start : span.end] == selected.strip() == response.json()["text"]
    assert span.start == start + len(selected) - len(selected.lstrip())
    assert (response.json()["start"], response.json()["end"]) == (span.start, span.end)
