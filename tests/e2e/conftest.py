"""The real product for end-to-end tests: `firstline run` (real Rasa, real model, real database).

Started once per session on free ports in a temporary data directory; trained models are
cached under var/models (keyed by their inputs' hash) so a second run does not retrain.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from firstline import launch
from firstline.launch import Product

__all__ = ["Product", "product"]


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    try:
        product = launch.start(tmp_path_factory.mktemp("product"), secret="e2e-secret")
    except launch.LaunchError as exc:
        pytest.fail(str(exc))
    yield product
    # Ctrl-C must stop both processes cleanly.
    code = product.stop()
    assert code == 0, "".join(product.output[-30:])
    assert "[firstline] stopped\n" in product.output
    for url in (product.base, product.rasa):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/", timeout=2)
