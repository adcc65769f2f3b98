"""Both analyst notebooks execute against sample data: the demo flow run into a
tmp dir (sandbox on loopback, sample playlist migrated, lake exported)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from engine.demo import run_demo
from engine.settings import Settings

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("notebook-data")
    settings = Settings(env="test", data_dir=root / "data", DATABASE_URL=None, REDIS_URL=None)  # type: ignore[call-arg]
    summary = run_demo(settings, out_dir=root / "out")
    return Path(summary["lake"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["library_at_a_glance.ipynb", "missing_on_target.ipynb"])
def test_notebook_executes(name: str, lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFADE_LAKE", str(lake))
    monkeypatch.setenv("CROSSFADE_TARGET", "spotify")
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")  # the kernel's own start-up chatter
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        book, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    outputs = [
        o for cell in book.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "the notebook drew no plot"
    text = "".join(
        str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs
    )
    if name == "missing_on_target.ipynb":
        assert "missing on spotify" in text
