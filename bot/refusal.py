"""The one way the core says no to a member.

A `Refusal` means: this member may not have what they asked for, and it is not a fault.
`key` is the locale key of the reason, written out whole where it is raised (so a search
finds it), and `params` fill its placeholders. Every front end translates a refusal the
same way (`t(locale, refusal.key, **refusal.params)`); the Discord layer's error handler
matches this one class. Subclasses exist only where they carry more than the text:
`QueueLimitError` its limit, `Blocked` the block (the member may appeal it).
"""

from __future__ import annotations


class Refusal(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
