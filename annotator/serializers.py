"""Explicit input and output shapes of the spans API.

Offsets are Python code points into the document text, half-open ``[start, end)``.
"""

from rest_framework import serializers

from .models import Span


class StrictIntegerField(serializers.IntegerField):
    """An integer in JSON, not a string, float or boolean that looks like one."""

    default_error_messages = {"invalid": "A JSON integer is required."}

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class SpanCreateInput(serializers.Serializer):
    label = serializers.IntegerField(help_text="id of a label of the document's project")
    start = StrictIntegerField(help_text="first code point of the span")
    end = StrictIntegerField(help_text="code point just past the span")
    text = serializers.CharField(
        required=False,
        trim_whitespace=False,
        allow_blank=True,
        help_text="the selected text; a mismatch with the document is refused",
    )
    client_id = serializers.UUIDField(
        required=False, help_text="makes a retried create return the first span"
    )


class SpanRelabelInput(serializers.Serializer):
    label = serializers.IntegerField()


class SpanOutput(serializers.ModelSerializer):
    label_name = serializers.CharField(source="label.name")
    text = serializers.SerializerMethodField()

    class Meta:
        model = Span
        fields = [
            "id",
            "document",
            "label",
            "label_name",
            "start",
            "end",
            "text",
            "client_id",
            "guidelines_version",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def get_text(self, span: Span) -> str:
        return span.document.text[span.start : span.end]
