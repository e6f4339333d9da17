"""Budgets as members read them: what is spent against each, and the fallback model."""

from __future__ import annotations

from ..config.prices import money
from ..rules.budgets import BudgetLine
from ..rules.server_settings import ServerSettings
from ..text.i18n import t
from .budget_notices import NAMES


def budget_lines(locale: str, lines: list[BudgetLine], currency: str) -> list[str]:
    return [
        t(
            locale,
            "budget.line",
            budget=t(locale, NAMES[line.name]).capitalize(),
            spent=money(line.spent, currency),
            amount=money(line.amount, currency),
            percent=int(100 * line.spent / line.amount),
            reset=int(line.resets_at),
        )
        for line in lines
    ]


def budget_summary(
    locale: str, server: ServerSettings, lines: list[BudgetLine], currency: str
) -> str:
    """Each budget's standing, then what happens once one is spent."""
    if not lines:
        return t(locale, "budget.usage.none")
    fallback = server.budget_fallback
    after = (
        t(locale, "budget.fallback", model=fallback.replace(":", " "))
        if fallback
        else t(locale, "budget.no_fallback")
    )
    return "\n".join([*budget_lines(locale, lines, currency), after])


def budget_settings(locale: str, server: ServerSettings, currency: str) -> str:
    """The budgets a server set, for `/settings show`."""
    none = t(locale, "budget.settings.none")
    amounts = t(
        locale,
        "budget.settings.amounts",
        monthly=money(server.budget_monthly, currency) if server.budget_monthly else none,
        daily=money(server.budget_daily, currency) if server.budget_daily else none,
    )
    model = (server.budget_fallback or "").replace(":", " ") or none
    return "\n".join([amounts, t(locale, "budget.settings.fallback", model=model)])
