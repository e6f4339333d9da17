"""What an ask costs, and what a spent budget does to it: refuse it for free, or switch it
to the server's cheaper fallback model with a one-line note.

The budgets' own check runs again at admission and, as the last word, in the transaction
that writes the jobs (`rules/budgets.py`); this is where an ask is priced and, when a
budget is spent, moved to the fallback before anything is admitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ..asks.costs import image_cost, result_price, video_cost
from ..asks.images import ImageOptions, ValidatedImage, validate_image
from ..asks.styles import Style
from ..asks.videos import ValidatedVideo
from ..config.prices import money
from ..config.tunables import ModelSpec, Tunables, VideoModelSpec
from ..engine.durations import DurationBook
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..rules.budgets import BudgetBook
from ..rules.server_settings import ServerSettingsReader
from ..text.wording import duration_estimate

# Told the server's guild id after jobs were admitted there: an 80 % warning may be due.
AdmittedListener = Callable[[int], None]


@dataclass(frozen=True)
class PricedImage:
    options: ImageOptions  # as asked, or moved to the fallback model
    valid: ValidatedImage
    cost: float  # the whole ask's (0: unknown)
    fallback: bool = False  # let through by the budgets: on (or no dearer than) the fallback
    note: Refusal | None = None  # the one line saying it was switched


class Spending:
    def __init__(
        self, *, budgets: BudgetBook | None, settings: ServerSettingsReader, tunables: Tunables
    ) -> None:
        self.budgets = budgets
        self.settings = settings
        self.tunables = tunables
        self._listeners: list[AdmittedListener] = []

    def add_listener(self, listener: AdmittedListener) -> None:
        self._listeners.append(listener)

    def admitted(self, guild_id: int) -> None:
        for listener in self._listeners:
            listener(guild_id)

    def details(
        self,
        durations: DurationBook,
        locale: str,
        spec: ModelSpec | VideoModelSpec,
        version: str,
    ) -> str:
        """`~70 s · ¥0.20`: how long the model's tasks usually take here (the median the
        engine learnt from this bot's finished tasks, its prior until there are enough;
        the progress message estimates from the same figure), and one result's price."""
        kind = TaskKind.VIDEO if isinstance(spec, VideoModelSpec) else TaskKind.IMAGE
        parts = [duration_estimate(locale, durations.model(kind, spec.name).typical())]
        price = result_price(spec, version)
        if price is not None:
            parts.append(money(price, self.tunables.currency))
        return " · ".join(parts)

    async def image(
        self,
        guild_id: int,
        options: ImageOptions,
        valid: ValidatedImage,
        *,
        mark: bool,
        style: Style | None,
    ) -> PricedImage:
        """The ask priced; when it would pass a budget, on the fallback model (its size,
        aspect and resolution dropped if that model takes other ones), or refused."""
        cost = image_cost(valid.spec, valid.tasks * valid.units_per_task) or 0.0
        line = None
        if self.budgets is not None and cost > 0:
            line = await self.budgets.passed(guild_id, cost)
        if line is None:
            return PricedImage(options, valid, cost)
        assert self.budgets is not None
        refusal = self.budgets.refusal(line, cost)
        server = self.settings.get(guild_id)
        name, _, version = (server.budget_fallback or "").partition(":")
        spec = self.tunables.models.get(name)
        # A fallback the server no longer allows (or that lost its price) is none at all.
        if spec is None or spec.price_per_image is None or not server.allows_model(name):
            raise refusal
        if (valid.spec.price_per_image or 0.0) <= spec.price_per_image:
            return PricedImage(options, valid, cost, fallback=True)  # no dearer than it
        moved = dataclasses.replace(options, model=name, version=version)
        for attempt in (moved, dataclasses.replace(moved, size=None, aspect=None, resolution=None)):
            try:
                cheaper = validate_image(attempt, self.tunables, mark=mark, style=style)
            except Refusal:
                continue
            note = Refusal(
                "budget.note.fallback",
                model=f"{name} {version}",
                price=money(spec.price_per_image, self.tunables.currency),
                reset=int(line.resets_at),
            )
            total = image_cost(cheaper.spec, cheaper.tasks * cheaper.units_per_task) or 0.0
            return PricedImage(attempt, cheaper, total, fallback=True, note=note)
        raise refusal

    async def video(self, guild_id: int, valid: ValidatedVideo) -> float:
        """The video's cost; refused when it would pass a budget (the fallback model is an
        image model: a spent budget stops videos until it resets)."""
        cost = video_cost(valid.spec, valid.duration) or 0.0
        if self.budgets is not None and cost > 0:
            line = await self.budgets.passed(guild_id, cost)
            if line is not None:
                raise self.budgets.refusal(line, cost)
        return cost
