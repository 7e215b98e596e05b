"""The tutorial notebook runs top to bottom (so it never rots)."""

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.system

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def test_tutorial_notebook_executes():
    path = ROOT / "experiments" / "tutorial.ipynb"
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "adults," in text and "agencies accept digital documents" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plots were drawn
