"""The scenario as an EMA Workbench model: perform_experiments over its free parameters and levers, then PRIM."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from coyuntura import ema
from coyuntura.scenario.loader import load_scenario

warnings.filterwarnings("ignore", message="ipyparallel not installed")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("bolivia-1952")


@pytest.mark.slow  # importing the EMA Workbench alone takes seconds
def test_the_model_declares_priors_as_uncertainties_and_experiments_as_levers(scenario):
    model = ema.model(scenario, outcomes=("coup_success", "end_right_military"), parameters=["mechanisms.coup.*"], start="march_1971")
    names = [u.name for u in model.uncertainties]
    assert "mechanisms.coup.plot_intercept" in names and all(n.startswith("mechanisms.coup.") for n in names)
    intercept = next(u for u in model.uncertainties if u.name == "mechanisms.coup.plot_intercept")
    assert (intercept.lower_bound, intercept.upper_bound) == (-16.0, -10.0)
    lever = model.levers["experiment"]
    assert lever.categories[0].value == ema.BASELINE and "torres-purges-plotters" in [c.value for c in lever.categories]
    assert [o.name for o in model.outcomes] == ["coup_success", "end_right_military"]
    with pytest.raises(KeyError, match="unknown outcome 'coup_sucess'.*did you mean 'coup_success'"):
        ema.model(scenario, outcomes=("coup_sucess",))


@pytest.mark.integration  # end to end: the workbench runs 50 scenarios, then PRIM
@pytest.mark.slow
def test_perform_experiments_and_prim_find_where_coups_succeed(scenario):
    from ema_workbench import perform_experiments
    from ema_workbench.analysis import prim

    model = ema.model(scenario, outcomes=("coup_success",), parameters=["mechanisms.coup.plot_intercept", "mechanisms.coup.decisiveness",
                                                                       "mechanisms.coup.trap_coef"], start="march_1971", runs=100, seed=1)
    np.random.seed(7)  # the workbench's Latin hypercube draws from numpy's global generator
    experiments, outcomes = perform_experiments(model, scenarios=50, policies=1)
    assert len(experiments) == 50
    y = outcomes["coup_success"]
    assert np.all((y >= 0) & (y <= 1)) and y.std() > 0
    # Common random numbers: the same parameter values give the same probability.
    function = model.function
    values = {u.name: float(experiments[u.name].iloc[0]) for u in model.uncertainties}
    lever = str(experiments["experiment"].iloc[0])  # the policy's experiment (a lever the workbench samples too)
    assert function(**values, experiment=lever)["coup_success"] == pytest.approx(y[0])
    # A higher plotting intercept means more successful coups, and PRIM's box says so.
    x = experiments[[u.name for u in model.uncertainties]]
    assert np.corrcoef(x["mechanisms.coup.plot_intercept"], y)[0, 1] > 0.5
    finder = prim.Prim(x, y > np.median(y), threshold=0.7)
    box = finder.find_box()
    assert box.box_lim.loc[0, "mechanisms.coup.plot_intercept"] > -16.0  # the box cuts away the low intercepts


@pytest.mark.slow  # importing the EMA Workbench alone takes seconds
def test_a_plug_in_s_own_outcome_is_an_ema_outcome(tmp_path):
    from plugin_example import countryside_copy

    text = 'intercept: {value: -5.0, assumption: "Seizures are rare'
    countryside = load_scenario(countryside_copy(tmp_path, scenario=lambda s: s.replace(text, text.replace("assumption:", "prior: {low: -9, high: -3}, assumption:"), 1)))
    model = ema.model(countryside, outcomes=("land_seizure",), runs=100, seed=1)
    assert [o.name for o in model.outcomes] == ["land_seizure"] and [u.name for u in model.uncertainties] == ["mechanisms.land_seizures.intercept"]
    rare, likely = (model.function(**{"mechanisms.land_seizures.intercept": value})["land_seizure"] for value in (-9.0, -3.0))
    assert rare < 0.2 < 0.8 < likely
    with pytest.raises(KeyError, match="outcome 'coup_success' cannot happen in scenario 'countryside-1971'.*: general_strike, .*land_seizure"):
        ema.model(countryside, outcomes=("coup_success",))
