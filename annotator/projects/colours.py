"""Label colours that keep the text on them readable.

A label's colour is the background of its marks, its buttons and its swatches,
under text in the pages' ink colour (``--ink`` in ``static/annotator/annotate.css``).
The rule is WCAG 2's for normal text: the contrast ratio between the ink and the
label colour must be at least 4.5:1. ``PALETTE`` offers colours that pass it and
stay apart from one another; any other ``#rrggbb`` that passes is accepted too.
"""

INK = "#1f2933"
MINIMUM_CONTRAST = 4.5

# Light tints (Tailwind's 200 shades); the first four are the default labels'.
PALETTE = {
    "#fde68a": "amber",
    "#fca5a5": "red",
    "#a7f3d0": "emerald",
    "#bfdbfe": "blue",
    "#ddd6fe": "violet",
    "#fbcfe8": "pink",
    "#d9f99d": "lime",
    "#a5f3fc": "cyan",
    "#fed7aa": "orange",
    "#e2e8f0": "slate",
    "#99f6e4": "teal",
    "#f5d0fe": "fuchsia",
}


def _channel(value: int) -> float:
    """One sRGB channel (0-255) made linear, as WCAG 2 defines relative luminance."""
    fraction = value / 255
    return fraction / 12.92 if fraction <= 0.04045 else ((fraction + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``: 0 for black, 1 for white."""
    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_under_ink(colour: str) -> bool:
    return contrast_ratio(colour, INK) >= MINIMUM_CONTRAST
