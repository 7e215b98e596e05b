"""The experiment file's schema: what can be checked without reading a scenario."""

import pytest

from sim.experiment.schema import ExperimentFile, Range, Sweep, Uncertainties
from sim.files import load_file
from sim.scenario import InputError


def _file(tmp_path, text):
    path = tmp_path / "e.toml"
    path.write_text(f'name = "e"\nscenarios = ["nowhere.toml"]\n{text}')
    return path


def test_the_schema_reads_no_scenario_and_names_the_design(tmp_path):
    grid = load_file(_file(tmp_path, '[sweep.parameters]\n"params.choice.coef_trust" = [1, 2]'),
                     ExperimentFile)  # fmt: skip
    assert isinstance(grid.design, Sweep) and grid.design.entries == {
        "params.choice.coef_trust": [1, 2]
    }
    futures = load_file(
        _file(tmp_path, '[uncertainties]\nn = 4\n[uncertainties.parameters]\n'
              '"params.choice.coef_trust" = {low = 1.0, high = 2.0}'),
        ExperimentFile,
    )  # fmt: skip
    assert isinstance(futures.design, Uncertainties)
    assert futures.design.entries == {"params.choice.coef_trust": Range(low=1.0, high=2.0)}
    assert load_file(_file(tmp_path, ""), ExperimentFile).design is None


def test_a_sweep_and_futures_together_are_one_line(tmp_path):
    path = _file(
        tmp_path,
        '[sweep.parameters]\n"params.choice.coef_trust" = [1, 2]\n'
        "[uncertainties]\nn = 4\n[uncertainties.parameters]\n"
        '"params.choice.coef_trust" = {low = 1.0, high = 2.0}',
    )
    with pytest.raises(InputError) as err:
        load_file(path, ExperimentFile)
    assert str(err.value) == (
        f"{path}: (top level): sweep and uncertainties are exclusive (a design point is "
        "either a setting you choose or a future you cannot)"
    )
