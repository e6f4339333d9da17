"""What results cost on the Tencent bill: the defaults of the price list, as estimates.

MPS bills AIGC images per image made and videos per second of video made (the AIGC
image and video guides, "计费说明"); the image tools per use. Prices are in the price
list's currency, CNY (¥). Tencent changes prices and discounts (resource packs, contracts)
without a release of this bot, so every figure here is an estimate the operator corrects
in BOT_CONFIG: `models.<name>.price_per_image`, `video_models.<name>.price_per_second`,
`tool_prices.<tool>` and `currency`. The budgets (`/settings budget`), the cost shown in
autocomplete and `/usage`'s spend all read these figures, never the bill itself.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shown before amounts: the price list's currency.
CURRENCY = "¥"

# CNY per image, per model (every version of a model at one price).
IMAGE_PRICES: dict[str, float] = {
    "Hunyuan": 0.20,
    "Qwen": 0.15,
    "Kling": 0.20,
    "Vidu": 0.25,
    "wand-vega-image": 0.10,
}

# CNY per second of video, per model.
VIDEO_PRICES: dict[str, float] = {
    "Kling": 1.00,
    "Vidu": 0.50,
    "Hailuo": 0.35,
    "PixVerse": 0.50,
    "H2": 0.50,
    "wand-vega-video": 0.30,
    "Hunyuan": 0.50,
}

# A video whose length is not documented (so none is sent) is estimated at this length.
UNKNOWN_VIDEO_SECONDS = 5


@dataclass(frozen=True)
class ToolPrices:
    """CNY per use of each image tool (`ProcessImage`)."""

    upscale_2x: float = 0.10
    upscale_4x: float = 0.20
    zoom_out: float = 0.20
    remove_background: float = 0.05
    describe: float = 0.01

    def of(self, tool: str) -> float:
        return float(getattr(self, tool))


def money(amount: float, currency: str = CURRENCY) -> str:
    """An amount as members read it: `¥0.20`, `¥1,234.50`."""
    return f"{currency}{amount:,.2f}"
