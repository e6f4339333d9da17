"""The /usage chart: images per day as a bar chart, drawn with Pillow into PNG bytes.

Blocking work: call `draw_daily_chart` in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 360
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 24, 44
BACKGROUND = (255, 255, 255)
BAR = (88, 101, 242)
AXIS = (120, 120, 120)
TEXT = (40, 40, 40)


def draw_daily_chart(days: list[tuple[dt.date, int]]) -> bytes:
    """One bar per day (oldest left); a day without images has no bar."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    top_value = max([count for _, count in days] + [1])
    draw.line([(LEFT, TOP), (LEFT, base), (LEFT + plot_w, base)], fill=AXIS, width=1)
    draw.text((4, TOP - 6), str(top_value), fill=TEXT, font=font)
    draw.text((4, base - 6), "0", fill=TEXT, font=font)
    column = plot_w / max(1, len(days))
    label_every = max(1, len(days) // 10)
    for i, (day, count) in enumerate(days):
        x0 = LEFT + i * column
        pad = max(1.0, column * 0.15)
        if count > 0:
            height = max(1, round(plot_h * count / top_value))
            draw.rectangle(
                [round(x0 + pad), base - height, round(x0 + column - pad) - 1, base - 1],
                fill=BAR,
            )
        if i % label_every == 0 or i == len(days) - 1:
            draw.text((round(x0 + 1), base + 6), day.strftime("%m-%d"), fill=TEXT, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
