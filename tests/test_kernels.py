"""The kernels take their arguments as named groups, checked against their declarations,
and count internet access per area for any number of areas."""

import numpy as np
import pytest

from sim.model import behaviour, kernels
from sim.model.model import AdoptionModel
from sim.model.population import COLUMNS, Population
from sim.model.streams import Streams
from tests.conftest import make_scenario

MONTH = 3


@pytest.fixture(scope="module")
def built():
    """A model of three chunks (a chunk boundary inside every area) and its state."""
    model = AdoptionModel(make_scenario(citizens=20_000), seed=1, agent_views=False)
    saved = {name: col.copy() for name, col in model.population.columns.items()}
    return model, saved


@pytest.fixture
def model(built):
    model, saved = built
    for name, col in saved.items():
        getattr(model.population, name)[:] = col
    model.rules.area_codes = (int(saved["area"].min()), int(saved["area"].max()))
    return model


def _set_areas(model, area: np.ndarray) -> None:
    """New area codes for the test's population, and the rules told (they read the codes
    once, at the build: areas never change in a run)."""
    model.population.area[:] = area
    model.rules.area_codes = (int(area.min()), int(area.max()))


def _citizens(model, assisted_reach):
    keys = Streams(11).keys(MONTH, behaviour.CITIZEN_STREAMS)
    pop = model.population
    return model.rules.citizens(pop, MONTH, keys, model.services, model.regime, assisted_reach)


# --------------------------------------------------------------------------- named groups


def test_state_is_the_population_columns_by_name():
    """A new column in population.COLUMNS is a new field of the kernels' state, same dtype."""
    assert kernels.State._fields == tuple(COLUMNS)
    pop = Population(10)
    state = kernels.state(pop)
    for name, col in COLUMNS.items():
        assert getattr(state, name) is getattr(pop, name)  # the columns themselves, no copy
        assert getattr(state, name).dtype == col.dtype


def test_a_swapped_column_fails_before_the_kernel_runs():
    pop = Population(10)
    columns = pop.columns
    swapped = {**columns, "trust": columns["n_fail"], "n_fail": columns["trust"]}
    with pytest.raises(ValueError, match=r"State\.trust: .*float32 array \(got int16\)"):
        kernels.group(kernels.State, pop.n, **swapped)
    # a float column of another width is refused too: a converted copy would lose the writes
    with pytest.raises(ValueError, match=r"State\.skill: .*float32 array \(got float64\)"):
        kernels.group(kernels.State, pop.n, **{**columns, "skill": np.zeros(10)})


def test_missing_unknown_or_misshapen_fields_are_refused():
    pop = Population(10)
    columns = pop.columns
    renamed = {("confidence" if k == "trust" else k): v for k, v in columns.items()}
    with pytest.raises(ValueError, match="State: missing trust, unknown confidence"):
        kernels.group(kernels.State, pop.n, **renamed)
    with pytest.raises(ValueError, match=r"State\.aware: 10 rows expected \(adults\), got 9"):
        kernels.group(kernels.State, pop.n, **{**columns, "aware": np.zeros(9, dtype=bool)})
    with pytest.raises(ValueError, match=r"State\.age: .*contiguous"):
        kernels.group(kernels.State, 5, **{k: v[::2] for k, v in columns.items()})
    short = np.ones(9, dtype=np.float32)
    with pytest.raises(ValueError, match=r"Adults\.credential_access: 10 rows expected"):
        kernels.group(kernels.Adults, 10, urban=np.zeros(10, bool), credential_access=short)


def test_inputs_convert_within_their_kind_only():
    fields = dict(
        needs_cdf=np.ones((3, 4)),
        p_needs_esignature=0.25,
        online_push=0,
        counters_closed=np.float32(0.5),
        trust_recovery=0.0,
        assisted_reach=[0.2, 0.4],
    )
    month = kernels.group(kernels.CitizenMonth, 10, **fields)
    assert month.needs_cdf.dtype == np.float32 and month.assisted_reach.dtype == np.float32
    assert month.assisted_reach.tolist() == [np.float32(0.2), np.float32(0.4)]
    assert month.online_push == 0.0 and isinstance(month.online_push, float)
    with pytest.raises(ValueError, match=r"CitizenMonth\.assisted_reach: float32 expected"):
        kernels.group(kernels.CitizenMonth, 10, **{**fields, "assisted_reach": [True, False]})
    with pytest.raises(ValueError, match=r"CitizenMonth\.online_push: a float64 scalar"):
        kernels.group(kernels.CitizenMonth, 10, **{**fields, "online_push": True})
    with pytest.raises(ValueError, match=r"CitizenMonth\.trust_recovery: a float64 scalar"):
        kernels.group(kernels.CitizenMonth, 10, **{**fields, "trust_recovery": np.ones(2)})
    with pytest.raises(ValueError, match=r"CitizenMonth\.needs_cdf: 2 dimension"):
        kernels.group(kernels.CitizenMonth, 10, **{**fields, "needs_cdf": np.ones(4)})
    table = np.zeros((2, kernels.LOOKUP_BINS))
    agencies = dict(cdf=[1.0], table=table, share_online=[0.5], p_paper=[0.1],
                    p_end_to_end=[0.9], p_refused=[0.0], p_demanded=[0.0],
                    insecurity=[0.0])  # fmt: skip
    with pytest.raises(ValueError, match=r"Agencies\.table: int32 expected, got float64"):
        kernels.group(kernels.Agencies, 10, **agencies)
    with pytest.raises(ValueError, match=r"SocialMonth\.full_mixing: a bool scalar"):
        kernels.group(kernels.SocialMonth, 10, full_mixing=1, **{
            f: 0.0 for f in kernels.SocialMonth._fields if f != "full_mixing"})  # fmt: skip


def test_stream_keys_are_named_in_the_kernel_order():
    assert behaviour.CITIZEN_KEYS._fields == kernels.CitizenKeys._fields
    assert behaviour.CITIZEN_STREAMS[kernels.CitizenKeys._fields.index("pick")] == ("choice", 3)
    assert behaviour.SOCIAL_STREAMS == (("awareness",), ("internet",), ("esignature",))
    keys = Streams(3).keys(0, behaviour.CITIZEN_STREAMS)
    named = behaviour._keys(kernels.CitizenKeys, keys)
    assert named.closed == keys[-1] and named.needs == keys[0]
    with pytest.raises(ValueError, match="CitizenKeys: 8 keys expected, got 3"):
        behaviour._keys(kernels.CitizenKeys, keys[:3])


def test_learning_tables_are_the_powers_of_each_rate(model):
    lp = model.params.learning
    tables = model.rules.learning
    m = np.arange(2 * kernels.SLOTS_PER_ADULT + 1, dtype=np.float32)
    for table, rate in behaviour.LEARNING_RATES._asdict().items():
        expected = (np.float32(1.0) - np.float32(getattr(lp, rate))) ** m
        assert np.array_equal(getattr(tables, table), expected)
    assert tables.trust_gain[0] == 1.0 and tables.trust_gain[1] == np.float32(
        1 - lp.rate_trust_gain
    )
    assert model.rules.coef.risk == model.params.choice.coef_risk


def test_the_passes_write_the_columns_in_place(model):
    """Every column the two passes change is changed in the population itself (numba drops
    writes made through a namedtuple's field inside a parallel loop; the kernels must not)."""
    pop = model.population
    pop.aware[:] = True
    pop.internet[:] = True
    before = {name: col.copy() for name, col in pop.columns.items()}
    out = _citizens(model, model.assisted_reach)
    keys = Streams(11).keys(MONTH, behaviour.SOCIAL_STREAMS)
    p_internet = np.full(len(model.assisted_reach), 0.5)
    model.rules.social(pop, MONTH, keys, out, p_internet, 0.5, model.credential_access)
    changed = {name for name, col in pop.columns.items() if not np.array_equal(col, before[name])}
    assert {"trust", "skill", "paper_habit", "n_success", "last_online", "last_tried",
            "peer_online", "esignature"} <= changed  # fmt: skip
    assert not changed & {"age", "age_group", "area", "locality", "household"}


def test_every_output_of_the_passes_is_written(model):
    """The outputs the kernels write per chunk and per adult equal plain numpy counts of the
    columns after each pass (full mixing reads the trust sum: a lost write would be 0)."""
    pop = model.population
    out = _citizens(model, model.assisted_reach)
    recent = pop.last_online > MONTH - 12
    assert out.shares[0] == np.count_nonzero(recent) / pop.n
    assert out.shares[1] == np.count_nonzero(pop.aware) / pop.n
    assert out.shares[2] == pytest.approx(pop.trust.mean(dtype=np.float64), rel=1e-12)
    assert out.transactions_by_agency.sum() == out.n_transactions > 0
    assert out.online_by_agency.sum() == out.n_online > 0
    words = model.rules._neighbours
    assert words[-1] == 0  # the padding row
    assert np.array_equal((words[:-1] >> np.uint64(32)) & np.uint64(0xFFFF), recent)
    assert np.array_equal(words[:-1] >> np.uint64(48), pop.aware)
    keys = Streams(11).keys(MONTH, behaviour.SOCIAL_STREAMS)
    p_internet = np.full(len(model.assisted_reach), 0.1)
    tally = model.rules.social(pop, MONTH, keys, out, p_internet, 0.1, model.credential_access)
    again = model.rules.tally(pop, MONTH)
    assert np.array_equal(tally.counts, again.counts) and tally.count(kernels.P_INTERNET) > 0
    assert np.array_equal(tally.sums, again.sums) and tally.sums[kernels.F_TRUST] > 0


# --------------------------------------------------------------------------- areas


@pytest.mark.parametrize("n_areas", [2, 6])
def test_internet_is_counted_per_area_for_any_number_of_areas(model, n_areas):
    pop = model.population
    rows = np.arange(pop.n)
    _set_areas(model, (rows * 7 // 3) % n_areas)  # every area in every chunk
    pop.internet[:] = rows % 5 < 2
    expected = np.bincount(pop.area, weights=pop.internet, minlength=n_areas)
    out = _citizens(model, np.linspace(0.1, 0.9, n_areas))
    assert out.internet_by_area.tolist() == expected.astype(int).tolist()
    assert out.internet_by_area.sum() == np.count_nonzero(rows % 5 < 2)


def test_splitting_an_area_leaves_the_month_unchanged(model):
    """Six area codes where there were four, each adult's reach the same: the same month,
    and the split areas' counts add up to the four areas' counts."""
    pop = model.population
    start = {name: col.copy() for name, col in pop.columns.items()}
    reach4 = np.asarray(model.assisted_reach, dtype=np.float32)
    four = _citizens(model, reach4)
    after4 = {name: col.copy() for name, col in pop.columns.items()}
    for name, col in start.items():
        getattr(pop, name)[:] = col
    rows = np.arange(pop.n)
    area4 = start["area"]
    split = np.where((area4 == 0) & (rows % 2 == 1), 4, area4)
    _set_areas(model, np.where((area4 == 3) & (rows % 3 == 0), 5, split))
    six = _citizens(model, np.concatenate([reach4, reach4[[0, 3]]]))
    by4, by6 = four.internet_by_area, six.internet_by_area
    assert len(by6) == 6 and len(by4) == 4 and by6.min() > 0
    assert by6[[0, 4]].sum() == by4[0] and by6[[3, 5]].sum() == by4[3]
    assert by6[1:3].tolist() == by4[1:3].tolist()
    assert (six.n_transactions, six.n_online, six.n_success, six.n_assisted) == (
        four.n_transactions, four.n_online, four.n_success, four.n_assisted)  # fmt: skip
    for name, col in pop.columns.items():
        if name != "area":
            assert np.array_equal(col, after4[name]), name


def test_fewer_areas_than_the_population_has_are_refused(model):
    pattern = "{} has 3 areas, but the population has area codes 0 to 3"
    with pytest.raises(ValueError, match=pattern.format("assisted_reach")):
        _citizens(model, np.ones(3))
    out = _citizens(model, model.assisted_reach)
    keys = Streams(11).keys(MONTH, behaviour.SOCIAL_STREAMS)
    with pytest.raises(ValueError, match=pattern.format("p_internet")):
        model.rules.social(
            model.population, MONTH, keys, out, np.zeros(3), 0.0, model.credential_access
        )
