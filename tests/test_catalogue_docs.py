"""docs/models.md is the catalogue as validation enforces it: regenerated, never stale."""

from __future__ import annotations

from bot.asks.catalogue_table import DOCS, main, render
from bot.config.tunables import Tunables


def test_the_models_table_in_the_docs_is_current() -> None:
    assert main(["--check"]) == 0, "run: python -m bot.asks.catalogue_table"


def test_the_table_names_every_model_and_version(tmp_path) -> None:
    text = render(Tunables())
    for spec in (*Tunables().models.values(), *Tunables().video_models.values()):
        for version in spec.versions:
            assert f"| {spec.name} | {version} |" in text
    stale = tmp_path / "models.md"
    stale.write_text(DOCS.read_text(encoding="utf-8").replace("3-15 (5)", "3-16 (5)"))
    assert main(["--check", "--out", str(stale)]) == 1
