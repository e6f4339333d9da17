"""Everything a person reads: translations (`i18n` over `locales/`), the wording of
progress and failures, and small text helpers."""
