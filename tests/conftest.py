from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "plans" / "seed_2022_model_organ.txt"


@pytest.fixture
def seed_path() -> Path:
    return SEED
