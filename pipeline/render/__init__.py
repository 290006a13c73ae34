"""Renderers of test fixtures and corpus documents into DOCX, PDF and TXT."""

from __future__ import annotations

from typing import Iterable


def check_indices(name: str, indices: Iterable[int], n: int) -> set[int]:
    """``indices`` as a set; ValueError naming ``name`` when any lies outside ``n`` paragraphs."""
    out = set(indices)
    bad = sorted(i for i in out if not 0 <= i < n)
    if bad:
        raise ValueError(f"{name} has indices outside the {n} paragraphs: {bad}")
    return out
