"""The /usage chart: per local day, images and videos stacked, and the month's spend
climbing towards the monthly budget, drawn with Pillow into PNG bytes.

Made to read well in Discord's dark and light themes alike: a dark-neutral card with
rounded corners (transparent around it, so it sits on either background), mid-contrast
colours (Discord's own blurple, fuchsia, yellow and red), a scalable font
(`ImageFont.load_default(size=)`, or a CJK font when the system has one, so Chinese
labels draw), gridlines and a legend. Counts are on the left axis, money on the right.

Blocking work: call `draw_usage_chart` in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1000, 440
# The plot inside the card: room for the legend above, axes' labels around.
LEFT, RIGHT, TOP, BOTTOM = 70, 84, 70, 46
RADIUS = 18
CARD = (43, 45, 49, 255)
GRID = (70, 73, 80, 255)
AXIS = (110, 114, 122, 255)
TEXT = (219, 222, 225, 255)
MUTED = (160, 166, 175, 255)
IMAGES = (88, 101, 242, 255)
VIDEOS = (235, 69, 158, 255)
SPEND = (254, 231, 92, 255)
BUDGET = (237, 66, 69, 255)
# Fonts that draw Chinese, where a system has one (Debian's fonts-wqy-microhei,
# fonts-noto-cjk); without, the bundled Latin font (and English labels) is used.
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@dataclass(frozen=True)
class ChartDay:
    day: dt.date  # a local day of the server's time zone
    images: int
    videos: int
    spent: float  # estimated cost of that day's accepted tasks


@dataclass(frozen=True)
class ChartLabels:
    images: str
    videos: str
    spend: str
    budget: str
    currency: str


@cache
def cjk_font_path() -> str | None:
    return next((p for p in CJK_FONTS if Path(p).exists()), None)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = cjk_font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


# Where the font has no glyph for the currency's sign (the bundled font has no `¥`), its
# ISO code is written instead.
CURRENCY_CODES = {"¥": "CNY ", "€": "EUR ", "£": "GBP "}


def _drawable(font, text: str) -> bool:
    """Whether `font` draws `text` rather than its missing-glyph box."""

    def shape(ch: str) -> bytes:
        mask = font.getmask(ch)
        return bytes(mask.size) + bytes(mask)

    missing = shape("\U0010fffd")
    return all(shape(ch) != missing for ch in text if not ch.isspace())


def nice_top(value: float, ticks: int = 5) -> tuple[float, float]:
    """An axis' top and step: steps of 1, 2 or 5 times a power of ten, `ticks` at most."""
    value = max(value, 1e-9)
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step - 1e-9), step


def month_to_date(days: list[ChartDay]) -> list[float]:
    """Spend summed from each month's first day shown (it starts again on the 1st)."""
    out, total = [], 0.0
    for i, day in enumerate(days):
        if i and day.day.day == 1:
            total = 0.0
        total += day.spent
        out.append(total)
    return out


def plot_box() -> tuple[int, int, int, int]:
    """The plot's left, top, right and bottom pixels."""
    return LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM


def draw_usage_chart(days: list[ChartDay], *, budget: float | None, labels: ChartLabels) -> bytes:
    image = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, WIDTH - 1, HEIGHT - 1], RADIUS, fill=CARD)
    font, small = _font(15), _font(13)
    x0, y0, x1, y1 = plot_box()
    count_top, count_step = nice_top(max([d.images + d.videos for d in days] + [4]))
    spend = month_to_date(days)
    money_top, money_step = nice_top(max([*spend, budget or 0.0, 1.0]) * 1.08)
    currency = labels.currency
    if not _drawable(small, currency):
        currency = CURRENCY_CODES.get(currency, "")

    def y_count(value: float) -> float:
        return y1 - (y1 - y0) * value / count_top

    def y_money(value: float) -> float:
        return y1 - (y1 - y0) * value / money_top

    # Gridlines and both axes' labels.
    steps = round(count_top / count_step)
    for i in range(steps + 1):
        y = round(y_count(i * count_step))
        draw.line([(x0, y), (x1, y)], fill=GRID if i else AXIS, width=1)
        draw.text((x0 - 10, y), f"{i * count_step:g}", fill=MUTED, font=small, anchor="rm")
    for i in range(round(money_top / money_step) + 1):
        y = y_money(i * money_step)
        text = f"{currency}{f'{i * money_step:,.2f}'.rstrip('0').rstrip('.')}"
        draw.text((x1 + 10, y), text, fill=MUTED, font=small, anchor="lm")
    # One column per day: images at the bottom, videos on top.
    column = (x1 - x0) / max(1, len(days))
    pad = max(1.0, column * 0.18)
    for i, day in enumerate(days):
        left, right = round(x0 + i * column + pad), round(x0 + (i + 1) * column - pad) - 1
        below = y1 - 1
        for stacked, colour in ((day.images, IMAGES), (day.images + day.videos, VIDEOS)):
            top = round(y_count(stacked))
            if top < below:
                draw.rectangle([left, top, right, below], fill=colour)
                below = top - 1
    every = max(1, math.ceil(len(days) / 10))
    for i, day in enumerate(days):
        if i % every == 0 or i == len(days) - 1:
            x = x0 + (i + 0.5) * column
            draw.text((x, y1 + 10), day.day.strftime("%m-%d"), fill=MUTED, font=small, anchor="mt")
    # The monthly budget, dashed, and the month's spend climbing towards it.
    if budget:
        y = round(y_money(budget))
        for x in range(x0, x1, 14):
            draw.line([(x, y), (min(x + 8, x1), y)], fill=BUDGET, width=2)
    points = [(x0 + (i + 0.5) * column, y_money(value)) for i, value in enumerate(spend)]
    # One line per month: the spend starts again from nothing on the 1st.
    starts = [0] + [i for i, day in enumerate(days) if i and day.day.day == 1] + [len(days)]
    for a, b in pairwise(starts):
        if b - a > 1:
            draw.line(points[a:b], fill=SPEND, width=3, joint="curve")
    for x, y in points:
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=SPEND)
    _legend(draw, font, labels, budget is not None)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _legend(draw: ImageDraw.ImageDraw, font, labels: ChartLabels, budget: bool) -> None:
    x, y = LEFT, 30
    keys = [(labels.images, IMAGES, "box"), (labels.videos, VIDEOS, "box")]
    keys.append((labels.spend, SPEND, "line"))
    if budget:
        keys.append((labels.budget, BUDGET, "dash"))
    for text, colour, shape in keys:
        if shape == "box":
            draw.rounded_rectangle([x, y - 7, x + 14, y + 7], 3, fill=colour)
        elif shape == "line":
            draw.line([(x, y), (x + 18, y)], fill=colour, width=3)
        else:
            draw.line([(x, y), (x + 7, y)], fill=colour, width=2)
            draw.line([(x + 11, y), (x + 18, y)], fill=colour, width=2)
        x += 26
        draw.text((x, y), text, fill=TEXT, font=font, anchor="lm")
        x += round(draw.textlength(text, font=font)) + 28
