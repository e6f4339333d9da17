"""What the engine has learnt of how long each model's tasks take, one model per key."""

from __future__ import annotations

from ..config.tunables import Polling
from ..mps.models import TaskKind
from ..storage.jobs import JobStore
from .polling import DurationModel, DurationPrior


class DurationBook:
    def __init__(self, polling: Polling) -> None:
        self._polling = polling
        self._models: dict[tuple[TaskKind, str], DurationModel] = {}

    def model(self, kind: TaskKind, name: str) -> DurationModel:
        key = (kind, name)
        found = self._models.get(key)
        if found is None:
            priors = {
                TaskKind.IMAGE: self._polling.image_expected,
                TaskKind.VIDEO: self._polling.video_expected,
                TaskKind.TOOL: self._polling.tool_expected,
            }
            low, high = priors[kind]
            prior = DurationPrior(low, high, self._polling.prior_weight)
            found = self._models[key] = DurationModel(prior)
        return found

    def snapshot(self) -> dict[tuple[TaskKind, str], DurationModel]:
        return dict(self._models)

    async def learn_from_history(self, store: JobStore, models: list[tuple[TaskKind, str]]) -> None:
        """Seed each (kind, model name) from finished jobs in the database."""
        for kind, name in models:
            model = self.model(kind, name)
            for seconds in reversed(await store.recent_durations(name, kind)):
                model.add(seconds)
