"""The end-to-end tests use the real product fixture (`product`, in tests/conftest.py).

It is defined once at the root so the e2e and browser folders share one started product: a
fixture imported into two conftest files is two session fixtures, and the product started twice.
"""

from __future__ import annotations

from firstline.launch import Product

__all__ = ["Product"]
