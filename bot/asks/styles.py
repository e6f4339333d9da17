"""Styles: text added to a member's prompt (and an optional negative prompt), by name.

A few styles ship with the bot (`BUILTIN_STYLES`, their names localised through
`BUILTIN_LABELS`); each server adds its own (`/settings styles`). The text sent to MPS is
English for the built-in styles, which every model reads; only the names shown change with
the reader's language. Applying a style is `styled`: the member's prompt, then the style's
text, so the member's words lead.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..refusal import Refusal
from .prompts import clean_prompt, clean_text

MAX_NAME = 32
MAX_STYLE_TEXT = 500


@dataclass(frozen=True)
class Style:
    name: str  # a built-in style's id, or a server style's name as its admin typed it
    prompt: str
    negative_prompt: str | None = None
    builtin: bool = False


BUILTIN_STYLES: tuple[Style, ...] = (
    Style(
        "cinematic",
        "cinematic film still, dramatic lighting, shallow depth of field, rich colour grading",
        builtin=True,
    ),
    Style(
        "anime",
        "anime illustration, clean line art, vibrant cel shading",
        "photorealistic, photograph",
        builtin=True,
    ),
    Style(
        "watercolor",
        "watercolour painting, soft washes of colour, visible paper texture",
        builtin=True,
    ),
    Style(
        "ink",
        "traditional Chinese ink wash painting, expressive brushstrokes, generous empty space",
        "saturated colours",
        builtin=True,
    ),
    Style(
        "pixel-art",
        "pixel art, 16-bit, limited palette, crisp square pixels",
        "blurry, smooth gradients",
        builtin=True,
    ),
    Style(
        "photo",
        "photorealistic, natural light, highly detailed, 35mm photograph",
        "illustration, cartoon, painting",
        builtin=True,
    ),
)
# Each built-in style's name in the reader's language.
BUILTIN_LABELS = {
    "cinematic": "styles.builtin.cinematic",
    "anime": "styles.builtin.anime",
    "watercolor": "styles.builtin.watercolor",
    "ink": "styles.builtin.ink",
    "pixel-art": "styles.builtin.pixel_art",
    "photo": "styles.builtin.photo",
}


def name_key(name: str) -> str:
    """A style's name as it is compared: "Ghibli", " ghibli " and "GHIBLI" are one style."""
    return " ".join(clean_text(name).split()).casefold()


def builtin_style(name: str, labels: dict[str, list[str]] | None = None) -> Style | None:
    """The built-in style called `name` (its id, or its name in any language: `labels` maps
    each id to its localised names)."""
    wanted = name_key(name)
    for style in BUILTIN_STYLES:
        names = [style.name, *(labels or {}).get(style.name, ())]
        if wanted in (name_key(n) for n in names):
            return style
    return None


def check_style(name: str, prompt: str, negative_prompt: str | None) -> Style:
    """A server style as it will be kept, or a Refusal saying what is wrong with it."""
    shown = " ".join(clean_text(name).split())
    if not shown or not 1 <= len(shown) <= MAX_NAME or "," in shown:
        raise Refusal("styles.error.name", max=MAX_NAME)
    text = clean_prompt(prompt)
    if text is None:
        raise Refusal("styles.error.prompt_missing")
    negative = clean_prompt(negative_prompt, negative=True)
    longest = max(len(text), len(negative or ""))
    if longest > MAX_STYLE_TEXT:
        raise Refusal("styles.error.too_long", length=longest, max=MAX_STYLE_TEXT)
    return Style(shown, text, negative)


def styled(
    prompt: str | None, negative_prompt: str | None, style: Style | None
) -> tuple[str | None, str | None]:
    """(prompt, negative prompt) with the style's text after the member's own."""
    if style is None:
        return prompt, negative_prompt
    text = ", ".join(p for p in (prompt, style.prompt) if p)
    negative = ", ".join(p for p in (negative_prompt, style.negative_prompt) if p)
    return text or None, negative or None
