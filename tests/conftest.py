import os
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".numba_cache"))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SHARED_FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def save_png(path: Path, array: np.ndarray, mode: str | None = None, palette=None) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(array, mode=mode) if mode else Image.fromarray(array)
    if palette is not None:
        im.putpalette(palette)
    im.save(path)
    return path
