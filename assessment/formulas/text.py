"""Sentences that remember how they were made: core.text (the judgements' sentences use it)."""

from __future__ import annotations

from core.text import Text, from_json, joined, to_json

__all__ = ["Text", "from_json", "joined", "to_json"]
