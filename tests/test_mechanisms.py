"""Per-mechanism unit tests: small states, controlled draws, the DIRECTION of each effect.

Values come from the bundled scenario but no test depends on an exact YAML number:
every assertion compares two runs (or two halves of a batch) that differ in one
driver, with the same uniforms, so a re-tuned parameter does not break them
while a reversed or missing effect does.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coyuntura.engine import formal
from coyuntura.engine.events import EventType, Outcome, holding_index
from coyuntura.engine.exogenous import apply_scheduled
from coyuntura.engine.mechanisms import SCHEDULE
from coyuntura.engine.mechanisms import grievance_legitimacy as legit
from coyuntura.engine.mechanisms import m1_nationalist_drift as m1
from coyuntura.engine.mechanisms import m2_patron_leverage as m2
from coyuntura.engine.mechanisms import m3_new_class as m3
from coyuntura.engine.mechanisms import m4_mystification as m4
from coyuntura.engine.mechanisms import m5_coup as m5
from coyuntura.engine.mechanisms import m6_mass_mobilization as m6
from coyuntura.engine.mechanisms import m7_failed_coup as m7
from coyuntura.engine.mechanisms import m8_repression as m8
from coyuntura.engine.mechanisms import m9_agrarian_structure as m9
from coyuntura.engine.mechanisms import m10_guerrilla_foco as m10
from coyuntura.engine.mechanisms import m11_left_unity as m11
from coyuntura.engine.mechanisms import m12_arms as m12
from coyuntura.engine.mechanisms import m13_radicalization_contact as m13
from coyuntura.engine.mechanisms import m14_nationalization as m14
from coyuntura.engine.mechanisms import m15_economic_squeeze as m15
from coyuntura.engine.mechanisms import m16_military_institution as m16
from coyuntura.engine.mechanisms import m17_polarization as m17
from coyuntura.engine.mechanisms.base import Month
from coyuntura.engine.state import RegimeType
from coyuntura.scenario.schema import LeaderDeath

from helpers import ALWAYS, NEVER, bundled_model, events_of, fresh_state, grid, make_month, with_params

pytestmark = pytest.mark.unit

FAST = settings(max_examples=25, deadline=None)


@pytest.fixture(scope="module")
def model():
    return bundled_model()


def P(model, name):
    return model.params[name]


def halves(n: int) -> tuple[slice, slice]:
    return slice(0, n), slice(n, 2 * n)


# --- the schedule itself -----------------------------------------------------------------------


def test_every_mechanism_has_the_documented_interface():
    names = set()
    for module in SCHEDULE:
        for attribute in ("NAME", "TITLE", "COVERS", "SOURCE", "READS", "WRITES", "SLOTS", "Params", "apply"):
            assert hasattr(module, attribute), f"{module.__name__} lacks {attribute}"
        assert module.NAME not in names
        names.add(module.NAME)
        assert module.SOURCE, f"{module.__name__} cites no locator"
    covered = {item for module in SCHEDULE for item in module.COVERS}
    assert {f"M{k}" for k in range(1, 18)} <= covered


# --- M12 arms and the M5 contest ---------------------------------------------------------------


def test_m12_arms_and_organization_raise_popular_force_and_lower_coup_success(model):
    n = 3
    state = fresh_state(model, n, "october_1970")
    month = make_month(model, n)
    popular = P(model, "mass_mobilization").popular_actors
    for actor in popular:
        state.arms[actor] = [0.0, 1.0, 1.0]
        state.organization[actor] = [0.5, 0.5, 0.9]
    everyone = {actor: np.ones(n, dtype=bool) for actor in popular}
    force = m12.mobilized_force(state, month, everyone)
    assert force[0] < force[1] < force[2]
    # Unmobilized actors add nothing.
    nobody = {actor: np.zeros(n, dtype=bool) for actor in popular}
    np.testing.assert_array_equal(m12.mobilized_force(state, month, nobody), 0.0)
    # Unarmed masses still count for something (the arms floor), but less than armed ones.
    assert force[0] > 0.0 or P(model, "arms").arms_floor == 0.0
    coup = P(model, "coup")
    attack = np.full(n, 0.2)
    loyal = np.full(n, 0.1)
    success = formal.contest_success_probability(attack, loyal + force, coup.decisiveness)
    assert success[0] > success[1] > success[2]


def _coup_everywhere(model, n, snapshot="october_1970", outcome=None, **draws):
    values = {"coup_plot": ALWAYS, "plot_camp": ALWAYS, "regional_plot": NEVER, "swing": 0.5}
    if outcome is not None:
        values["coup_outcome"] = outcome
    values.update(draws)
    return fresh_state(model, n, snapshot), make_month(model, n, values)


def _coup_succeeded(month):
    rows = events_of(month, EventType.COUP_ATTEMPT)
    return rows["run"][rows["outcome"] == int(Outcome.SUCCESS)]


def test_m5_armed_workers_defeat_more_coups(model):
    n = 300
    strong_defence = with_params(model, "coup", defence_intercept=5.0)  # everyone comes out to defend
    state, month = _coup_everywhere(strong_defence, 2 * n, outcome=np.tile(grid(n), 2))
    unarmed, armed = halves(n)
    for actor in P(model, "mass_mobilization").popular_actors:
        state.arms[actor, unarmed] = 0.0
        state.arms[actor, armed] = 1.0
    m5.apply(state, P(strong_defence, "coup"), month)
    attempts = events_of(month, EventType.COUP_ATTEMPT)
    assert attempts["run"].size == 2 * n  # every run had an attempt
    won = np.zeros(2 * n, dtype=bool)
    won[_coup_succeeded(month)] = True
    assert won[armed].sum() < won[unarmed].sum()
    # Same uniforms, stronger defence: every coup that beats armed workers also beats unarmed ones.
    assert not np.any(won[armed] & ~won[unarmed])
    # A successful coup installs a right military government.
    assert np.all(state.regime[won] == RegimeType.RIGHT_MILITARY)
    assert np.all(state.regime[~won] != RegimeType.RIGHT_MILITARY)


def test_m5_higher_legitimacy_raises_the_loyal_factions_commitment(model):
    n = 300
    no_masses = with_params(model, "coup", defence_intercept=-100.0)  # isolate the army's own contest
    state, month = _coup_everywhere(no_masses, 2 * n, outcome=np.tile(grid(n), 2))
    state.hardship[:] = 0.0
    unpopular, popular = halves(n)
    for actor in model.civil_actors:
        state.support[actor, unpopular] = 0.05
        state.support[actor, popular] = 0.95
    m5.apply(state, P(no_masses, "coup"), month)
    won = np.zeros(2 * n, dtype=bool)
    won[_coup_succeeded(month)] = True
    assert won[popular].sum() < won[unpopular].sum()
    assert not np.any(won[popular] & ~won[unpopular])


def test_m5_every_regime_type_can_be_plotted_against_and_overthrown(model):
    n = len(RegimeType)
    state, month = _coup_everywhere(model, n, snapshot=None, outcome=ALWAYS)
    state.regime[:] = [int(r) for r in RegimeType]
    right, nationalist = m5.plot_rates(state, month, P(model, "coup"))
    assert np.all(right > 0.0) and np.all(nationalist > 0.0)
    m5.apply(state, P(model, "coup"), month)
    assert events_of(month, EventType.COUP_ATTEMPT)["run"].size == n
    assert sorted(_coup_succeeded(month).tolist()) == list(range(n))


def test_m5_the_winning_camp_chooses_the_successor(model):
    n = 2
    state, month = _coup_everywhere(model, n, snapshot=None, outcome=ALWAYS, plot_camp=np.array([ALWAYS, NEVER]))
    state.regime[:] = RegimeType.RIGHT_MILITARY
    m5.apply(state, P(model, "coup"), month)
    assert state.regime.tolist() == [RegimeType.RIGHT_MILITARY, RegimeType.NATIONALIST_MILITARY]
    assert state.policy[1] == pytest.approx(P(model, "coup").installation_policy)
    exits = P(model, "regimes")
    assert [model.actor_ids[a] for a in np.flatnonzero(state.coalition[:, 1])] == [model.actor_ids[a] for a in sorted(exits.coalition_nationalist_military)]
    changes = events_of(month, EventType.GOVERNMENT_CHANGE)
    assert sorted(changes["outcome"].tolist()) == sorted([int(Outcome.TO_RIGHT), int(Outcome.TO_NATIONALIST)])


def test_m5_factional_grievance_raises_the_hazard_of_a_coup_inside_a_right_military_government(model):
    coup = P(model, "coup")
    state = fresh_state(model, 2)
    month = make_month(model, 2)
    state.regime[:] = RegimeType.RIGHT_MILITARY
    state.support[coup.right_faction] = [0.9, 0.2]
    state.support[coup.swing_faction] = [0.9, 0.2]
    right, nationalist = m5.plot_rates(state, month, coup)
    assert right[1] > right[0] and nationalist[1] > nationalist[0]
    # The longer the ruler has held power, the likelier a plot (rivals accumulate).
    state.support[coup.right_faction] = 0.5
    state.months_in_power[:] = [0, 96]
    right, nationalist = m5.plot_rates(state, month, coup)
    assert right[1] > right[0] or coup.tenure_coef == 0.0


def test_m5_the_rights_fear_and_pretext_turn_it_against_a_government_not_against_its_own(model):
    """The right's coups mean to restore the police state (Introduction, L118-121; U.S. Imperialism, L366-370): each of
    the threat from below, polarization, a foco in the field and the corruption pretext raises the right camp's hazard
    against a nationalist government, and none of them against a right military one; the young officers' fear (all but
    the pretext) counts against both."""
    coup = P(model, "coup")
    assert coup.threat_coef > 0.0 and coup.polarization_coef > 0.0 and coup.pretext_coef > 0.0 and coup.foco_coef > 0.0
    guerrillas = P(model, "guerrilla_foco").guerrillas
    popular = P(model, "mass_mobilization").popular_actors

    def set_threat(state, runs, level):
        for actor in popular:
            state.radicalism[actor, runs] = level

    def set_polarization(state, runs, level):
        state.polarization[runs] = level

    def set_foco(state, runs, level):
        state.organization[guerrillas, runs] = 0.5 if level > 0.5 else 0.0  # a foco in the field, or none

    def set_pretext(state, runs, level):
        state.corruption[runs] = level

    for driver in (set_threat, set_polarization, set_foco, set_pretext):
        state = fresh_state(model, 4, "october_1970")
        month = make_month(model, 4)
        state.regime[:] = [RegimeType.NATIONALIST_MILITARY, RegimeType.NATIONALIST_MILITARY, RegimeType.RIGHT_MILITARY, RegimeType.RIGHT_MILITARY]
        state.organization[guerrillas] = 0.0
        driver(state, [0, 2], 0.1)  # calm
        driver(state, [1, 3], 0.9)  # tense
        right, nationalist = m5.plot_rates(state, month, coup)
        assert right[1] > right[0], driver.__name__  # against a nationalist military government it counts
        assert right[3] == pytest.approx(right[2]), driver.__name__  # against its own police state it does not
        if driver is not set_pretext:  # the young officers fear the pressure from below under every government
            assert nationalist[1] > nationalist[0] and nationalist[3] > nationalist[2], driver.__name__


def test_m5_the_young_officers_plot_from_their_program_unmet_not_against_a_government_that_carries_it_out(model):
    """The army's nationalist current moves the young officers as far as the government falls short of their program
    (The Role of the Military, L345-347): a nationalist government that turns right is plotted against more, and the
    current adds nothing against a government that carries the program out."""
    current = with_params(model, "coup", nationalist_pressure_coef=3.0)
    coup = current.params["coup"]
    program = float(coup.installation_policy)
    right_policy = float(P(current, "regimes").policy_right_military)
    span = program - right_policy
    assert span > 0.0
    state = fresh_state(current, 4)
    month = make_month(current, 4)
    state.regime[:] = RegimeType.NATIONALIST_MILITARY
    state.policy[:] = [program, program + 0.3, program - span / 2, right_policy]
    state.nationalist_pressure[:] = 0.8
    right, nationalist = m5.plot_rates(state, month, coup)
    assert nationalist[0] == pytest.approx(nationalist[1])  # going further left than the program does not satisfy more
    assert nationalist[3] > nationalist[2] > nationalist[0]
    np.testing.assert_allclose(right, right[0])  # the right camp's motive does not read the program
    # Against a government that carries the program out, the current adds nothing to the motive; against a right one
    # it counts. (The current also adds to the camp's force in the contest: held out of the way here.)
    motive_only = with_params(current, "coup", backing_multiplier=0.0)
    _, with_current = m5.plot_rates(state, make_month(motive_only, 4), motive_only.params["coup"])
    state.nationalist_pressure[:] = 0.0
    _, without_current = m5.plot_rates(state, make_month(motive_only, 4), motive_only.params["coup"])
    assert with_current[0] == pytest.approx(without_current[0])
    assert with_current[3] > without_current[3]
    policies = np.array([1.0, program, program - span / 2, right_policy, -1.0])
    np.testing.assert_allclose(m5.unmet_program(policies, program, right_policy), [0.0, 0.0, 0.5, 1.0, 1.0])
    # Per-run parameters (calibrated values, one per run) broadcast run by run.
    programs = np.array([0.5, 0.2, 0.5])
    np.testing.assert_allclose(m5.unmet_program(np.array([0.0, 0.0, 0.5]), programs, np.array([-0.5, -0.6, -0.5])), [0.5, 0.25, 0.0])


def test_m5_officers_plot_as_their_chance_against_the_loyal_faction_allows(model):
    """A camp bled of its officers plots less, and not at all without force; a stronger loyal faction deters both camps."""
    coup = P(model, "coup")
    state = fresh_state(model, 3, "october_1970")
    month = make_month(model, 3)
    start = state.weight[coup.right_faction, 0]
    state.weight[coup.right_faction] = [start, 0.3 * start, 0.0]
    state.weight[coup.swing_faction] = [state.weight[coup.swing_faction, 0], 0.3 * state.weight[coup.swing_faction, 0], 0.0]
    right, nationalist = m5.plot_rates(state, month, coup)
    assert right[0] > right[1] > right[2] == 0.0
    assert nationalist[0] > nationalist[1] > nationalist[2] == 0.0
    deterred = fresh_state(model, 2, "october_1970")
    deterred.weight[coup.loyal_faction] = [0.2, 0.6]
    right, nationalist = m5.plot_rates(deterred, make_month(model, 2), coup)
    assert right[1] < right[0] and nationalist[1] < nationalist[0]
    # A government its armed base supports is tried less (the armed miners of 1952; Introduction, L11-17), one that
    # turned on its base more (nobody rose to save the MNR, L62-67).
    based = fresh_state(model, 2, "october_1970")
    for actor in P(model, "mass_mobilization").popular_actors:
        based.support[actor] = [0.1, 0.9]
        based.arms[actor] = 0.8
    month = make_month(model, 2)
    expected = m5.expected_defenders(based, month)
    assert expected[1] > expected[0] > 0.0
    blind = with_params(model, "coup", weakness_coef=0.0, loyal_legitimacy_coef=0.0)  # legitimacy out of the way
    right, nationalist = m5.plot_rates(based, make_month(blind, 2), blind.params["coup"])
    assert right[1] < right[0] and nationalist[1] < nationalist[0]


def test_m5_every_motive_but_little_chance_still_rarely_moves():
    """Motive and ability: a conspiracy forms with probability 1 - exp(-rate) and strikes with the plotters' chance, so
    the monthly chance of an attempt never exceeds the chance of winning, however strong the motives."""
    from coyuntura.engine.formal import hazard_probability

    motive = np.array([1e-3, 1.0, 50.0, 50.0])
    prospect = np.array([1.0, 0.5, 0.02, 0.0])
    attempt = hazard_probability(m5.attempt_rate(motive, prospect))
    np.testing.assert_allclose(attempt, hazard_probability(motive) * prospect)
    assert attempt[2] <= 0.02 and attempt[3] == 0.0
    assert m5.attempt_rate(np.array([1e-3]), np.array([1.0]))[0] == pytest.approx(1e-3)  # with every chance: the motive itself


def test_m5_the_coup_trap_an_attempt_raises_the_hazard_of_the_next(model):
    coup = P(model, "coup")
    state = fresh_state(model, 2, "october_1970")
    month = make_month(model, 2, {"coup_plot": NEVER, "regional_plot": NEVER})
    state.coup_memory[:] = 0.0
    before = sum(m5.plot_rates(state, month, coup))
    attempt_state, attempt_month = _coup_everywhere(model, 2, outcome=NEVER)
    attempt_state.coup_memory[:] = 0.0
    m5.apply(attempt_state, coup, attempt_month)
    assert np.all(attempt_state.coup_memory > 0.0)
    after = sum(m5.plot_rates(attempt_state, month, coup))
    assert np.all(after > before * 0.999) and coup.trap_coef > 0.0
    state.coup_memory[:] = attempt_state.coup_memory
    assert np.all(sum(m5.plot_rates(state, month, coup)) > before)
    # And the memory fades: a month without attempts lowers it.
    quiet = make_month(model, 2, {"coup_plot": NEVER, "regional_plot": NEVER})
    memory = state.coup_memory.copy()
    m5.apply(state, coup, quiet)
    assert np.all(state.coup_memory < memory)


def test_m5_plot_hazard_rises_with_the_threat_from_below_and_weakness(model):
    coup = P(model, "coup")
    state = fresh_state(model, 3, "october_1970")
    month = make_month(model, 3)
    for actor in P(model, "mass_mobilization").popular_actors:
        state.radicalism[actor] = [0.1, 0.9, 0.9]
    for actor in model.civil_actors:
        state.support[actor] = [0.8, 0.8, 0.2]
    right, nationalist = m5.plot_rates(state, month, coup)
    rate = right + nationalist
    assert rate[0] < rate[1] < rate[2]


def test_m5_a_guerrilla_foco_in_the_field_raises_both_camps_hazard(model):
    """Teoponte precipitated the clash between the right-wing officers and the popular forces (L383-388)."""
    coup = P(model, "coup")
    guerrillas = P(model, "guerrilla_foco").guerrillas
    state = fresh_state(model, 2, "october_1970")
    state.organization[guerrillas] = [0.0, 0.3]
    right, nationalist = m5.plot_rates(state, make_month(model, 2), coup)
    assert coup.foco_coef > 0
    # The foco multiplies the camps' motive by exp(foco_coef); a conspiracy's chance of forming saturates, so the rate
    # of attempts rises by a little less (here, where plots are still rare, within 2%).
    for rates in (right, nationalist):
        assert 1.0 < rates[1] / rates[0] <= np.exp(coup.foco_coef)
        np.testing.assert_allclose(rates[1] / rates[0], np.exp(coup.foco_coef), rtol=0.02)
    # Fighters standing in the capital wage no guerrilla war: they join the defence instead (M10).
    in_the_capital = with_params(model, "guerrilla_foco", urban_share=1.0)
    right_urban, _ = m5.plot_rates(state, make_month(in_the_capital, 2), P(in_the_capital, "coup"))
    np.testing.assert_allclose(right_urban[1], right[0])


def test_m6_a_general_strike_alone_is_the_masses_out(model):
    """The COB's national strike carried Torres's first victory (Introduction, L135-139)."""
    mm = P(model, "mass_mobilization")
    n = 3
    state = fresh_state(model, n, "october_1970")
    month = make_month(model, n)
    for actor in mm.popular_actors:  # the strike actors are a small share of the popular camp's weight
        state.weight[actor] = 0.01 if actor in mm.strike_actors else 1.0
    # Run 0: the strike actors all out; run 1: all but one of them; run 2: everyone.
    mobilized = {actor: np.array([actor in mm.strike_actors, actor in mm.strike_actors[1:], True]) for actor in mm.popular_actors}
    assert m6.mobilized_share(state, mobilized)[0] < mm.mass_threshold
    np.testing.assert_array_equal(m6.masses_came_out(state, month, mobilized), [True, False, True])


def test_m5_nobody_defends_a_government_that_turned_against_its_base(model):
    """1964: the MNR's anti-popular turn left no one to rise in its defence (Introduction, L62-67)."""
    coup = P(model, "coup")
    n = 2
    state, month = _coup_everywhere(model, n, snapshot="october_1970", outcome=NEVER)
    popular = P(model, "mass_mobilization").popular_actors
    # Run 0: a left-leaning government its base supports, after a police state; run 1: a government that
    # moved right of its base, which has no memory of repression and no love for it.
    state.policy[:] = [0.5, -0.4]
    state.repression_memory[:] = [0.8, 0.0]
    for actor in popular:
        state.support[actor] = [0.8, 0.1]
    state.coalition[:, 1] = False
    defenders = m5.popular_defence(state, month, coup, np.full(n, P(model, "regimes").policy_right_military))
    out = np.array([[defenders[a][k] for a in popular] for k in range(n)])
    assert out[0].any() and not out[1].any()


def test_m5_the_masses_count_as_decisive_only_when_they_were(model):
    n = 400
    # The same coups, defended by everyone (run block 1) or by no one (block 0).
    everyone = with_params(model, "coup", defence_intercept=5.0)
    nobody = with_params(model, "coup", defence_intercept=-100.0)
    counted = {}
    loyal = P(model, "coup").loyal_faction
    for name, variant in (("everyone", everyone), ("nobody", nobody)):
        state, month = _coup_everywhere(variant, n, outcome=grid(n))
        state.weight[loyal] = 0.05  # a small loyal faction: without the masses the plotters are favourites
        m5.apply(state, P(variant, "coup"), month)
        rows = events_of(month, EventType.COUP_ATTEMPT)
        counted[name] = rows["outcome"] == int(Outcome.DEFEATED_BY_MOBILIZATION)
    assert not counted["nobody"].any()  # without the masses out, no failure is theirs
    assert counted["everyone"].any()
    # With the masses out, a failure counts as theirs only where the plotters would have won without them:
    # never more than the failures themselves.
    state, month = _coup_everywhere(everyone, n, outcome=grid(n))
    state.weight[loyal] = 0.05
    m5.apply(state, P(everyone, "coup"), month)
    rows = events_of(month, EventType.COUP_ATTEMPT)
    failed = rows["outcome"] != int(Outcome.SUCCESS)
    assert counted["everyone"].sum() <= failed.sum()
    # With a strong loyal faction the plotters are not favourites even without the masses: failures are the army's.
    strong_state, strong_month = _coup_everywhere(everyone, n, outcome=grid(n))
    strong_state.weight[loyal] = 1.0
    m5.apply(strong_state, P(everyone, "coup"), strong_month)
    strong = events_of(strong_month, EventType.COUP_ATTEMPT)
    assert (strong["outcome"] == int(Outcome.FAILURE)).any()
    assert not (strong["outcome"] == int(Outcome.DEFEATED_BY_MOBILIZATION)).any()



def test_m5_only_a_defeat_by_the_masses_shows_their_power(model):
    n = 400
    everyone = with_params(model, "coup", defence_intercept=5.0)
    state, month = _coup_everywhere(everyone, n, outcome=grid(n))
    state.weight[P(model, "coup").loyal_faction] = 0.05
    state.popular_power[:] = 0.0
    m5.apply(state, P(everyone, "coup"), month)
    rows = events_of(month, EventType.COUP_ATTEMPT)
    by_masses = np.zeros(n, dtype=bool)
    by_masses[rows["run"][rows["outcome"] == int(Outcome.DEFEATED_BY_MOBILIZATION)]] = True
    assert by_masses.any() and not by_masses.all()
    np.testing.assert_array_equal(state.popular_power, np.where(by_masses, 1.0, 0.0))


# --- M7 failed coup ----------------------------------------------------------------------------


def test_m7_failed_coup_weakens_the_plotters_and_radicalizes_the_workers(model):
    coup = P(model, "coup")
    fc = P(model, "failed_coup")
    state = fresh_state(model, 2, "october_1970")
    month = make_month(model, 2)
    for actor in fc.workers:
        state.radicalism[actor] = 0.3
        state.mobilization[actor] = 0.2
    before = state.copy()
    failed = np.array([True, False])
    plotter = np.full(2, coup.right_faction)
    m7.after_failed_coup(state, month, failed, plotter, list(coup.backers), np.array([0.8, 0.8]))
    right = coup.right_faction
    assert state.weight[right, 0] < before.weight[right, 0]
    assert state.weight[right, 1] == before.weight[right, 1]
    for actor in fc.workers:
        assert state.radicalism[actor, 0] > before.radicalism[actor, 0]
        assert state.radicalism[actor, 1] == before.radicalism[actor, 1]
        assert state.mobilization[actor, 0] > before.mobilization[actor, 0]
    for backer in coup.backers:
        assert state.organization[backer, 0] <= before.organization[backer, 0]
        assert state.organization[backer, 1] == before.organization[backer, 1]
    assert state.polarization[0] > before.polarization[0]
    assert state.polarization[1] == before.polarization[1]


def test_m7_the_more_popular_the_defence_the_more_pressure_from_below(model):
    fc = P(model, "failed_coup")
    coup = P(model, "coup")
    state = fresh_state(model, 2, "october_1970")
    month = make_month(model, 2)
    for actor in fc.workers:
        state.radicalism[actor] = 0.3
    m7.after_failed_coup(state, month, np.array([True, True]), np.full(2, coup.right_faction), [], np.array([0.1, 0.9]))
    for actor in fc.workers:
        assert state.radicalism[actor, 1] > state.radicalism[actor, 0]


def test_m7_the_armys_factions_regroup_toward_their_weight_at_the_start(model):
    """A faction bled by failed coups recovers, one swollen by a purge gives back; without time nothing moves."""
    coup = P(model, "coup")
    fc = P(model, "failed_coup")
    state = fresh_state(model, 2)
    start = model.initial_weight
    state.weight[coup.right_faction] = [0.5 * start[coup.right_faction], start[coup.right_faction]]
    state.weight[coup.loyal_faction] = [1.5 * start[coup.loyal_faction], start[coup.loyal_faction]]
    before = state.weight.copy()
    m7.apply(state, fc, make_month(model, 2))
    assert fc.regroup_rate > 0.0
    assert before[coup.right_faction, 0] < state.weight[coup.right_faction, 0] < start[coup.right_faction]
    assert start[coup.loyal_faction] < state.weight[coup.loyal_faction, 0] < before[coup.loyal_faction, 0]
    assert state.weight[coup.right_faction, 1] == pytest.approx(start[coup.right_faction])  # at its start: stays
    frozen = fresh_state(model, 1)
    frozen.weight[coup.right_faction] = 0.1
    m7.apply(frozen, with_params(model, "failed_coup", regroup_rate=0.0).params["failed_coup"], make_month(model, 1))
    assert frozen.weight[coup.right_faction, 0] == 0.1


# --- M8 repression -----------------------------------------------------------------------------


def test_m8_repression_wave_cuts_organization_and_arms_and_builds_memory(model):
    rep = P(model, "repression")
    state = fresh_state(model, 2)
    month = make_month(model, 2, {"repression": np.array([ALWAYS, NEVER])})
    state.coalition[:] = False  # a government without a base among the targets
    for actor in rep.targets:
        state.arms[actor] = 0.5
        state.mobilization[actor] = 0.4
    before = state.copy()
    m8.apply(state, rep, month)
    for actor in rep.targets:
        assert state.organization[actor, 0] < before.organization[actor, 0]
        assert state.organization[actor, 0] < state.organization[actor, 1]
        assert state.arms[actor, 0] < state.arms[actor, 1]
        assert state.mobilization[actor, 0] == 0.0
    assert state.organization[rep.party, 0] < state.organization[rep.party, 1]
    assert state.repression_memory[0] > before.repression_memory[0]
    assert state.repression_memory[0] > state.repression_memory[1]
    assert state.mystification_urban[0] < state.mystification_urban[1]
    np.testing.assert_array_equal(events_of(month, EventType.REPRESSION_WAVE)["run"], [0])


def test_m8_a_right_military_government_represses_more_often(model):
    rep = P(model, "repression")
    n = 400
    state = fresh_state(model, 2 * n)
    month = make_month(model, 2 * n, {"repression": np.tile(grid(n), 2)})
    civilian, right = halves(n)
    state.regime[right] = RegimeType.RIGHT_MILITARY
    m8.apply(state, rep, month)
    waves = np.zeros(2 * n, dtype=bool)
    waves[events_of(month, EventType.REPRESSION_WAVE)["run"]] = True
    if rep.right_military_coef > rep.civilian_coef:
        assert waves[right].sum() > waves[civilian].sum()


def test_m8_organizations_recover_only_where_the_government_is_open(model):
    rep = P(model, "repression")
    state = fresh_state(model, 2)
    month = make_month(model, 2)
    state.policy[:] = [0.8, -1.0]  # an open government, and a closed one
    for actor in rep.targets:
        state.organization[actor] = 0.5 * model.initial_organization[actor]
    before = state.copy()
    m8.apply(state, rep, month)
    for actor in rep.targets:
        if model.initial_organization[actor] > 0:
            assert state.organization[actor, 0] > before.organization[actor, 0]
            assert state.organization[actor, 1] == before.organization[actor, 1]


def test_m8_nothing_recovers_under_a_police_state(model):
    """Ovando's opening was the workers' first chance to recover after Barrientos (Introduction, L95-98)."""
    rep = P(model, "repression")
    state = fresh_state(model, 2)
    month = make_month(model, 2)  # no wave this month
    state.policy[:] = 0.3  # the same policy under both
    state.regime[1] = RegimeType.RIGHT_MILITARY
    for actor in rep.targets:
        state.organization[actor] = 0.5 * model.initial_organization[actor]
    before = state.copy()
    m8.apply(state, rep, month)
    recovering = [a for a in rep.targets if model.initial_organization[a] > 0]
    assert recovering
    for actor in recovering:
        assert state.organization[actor, 0] > before.organization[actor, 0]
        assert state.organization[actor, 1] == before.organization[actor, 1]


# --- M16 purges --------------------------------------------------------------------------------


def test_m16_purge_happens_only_after_a_defeat_by_the_masses_under_a_nationalist_president(model):
    mi = P(model, "military_institution")
    workers = P(model, "arms").workers
    n = 4
    state = fresh_state(model, n, "october_1970")
    month = make_month(model, n, {"purge": ALWAYS})
    for actor in workers:
        state.arms[actor] = [1.0, 1.0, 0.0, 1.0]
    state.regime[3] = RegimeType.RIGHT_MILITARY
    defeated = np.array([True, False, True, True])
    before = state.copy()
    m16.purge_after_clash(state, month, defeated)
    for run in (0, 2):  # armed or not: the semi-armed masses' defeat of a coup is the confrontation (L353-356)
        assert state.weight[mi.right_faction, run] < before.weight[mi.right_faction, run]
        assert state.weight[mi.loyal_faction, run] > before.weight[mi.loyal_faction, run]
        # a purge moves officers, it does not create them
        np.testing.assert_allclose(state.weight[:, run].sum(), before.weight[:, run].sum())
    # no defeat by the masses / not a nationalist president: no purge
    np.testing.assert_array_equal(state.weight[:, [1, 3]], before.weight[:, [1, 3]])
    np.testing.assert_array_equal(events_of(month, EventType.PLOTTERS_PURGED)["run"], [0, 2])


@FAST
@given(defeated=st.lists(st.booleans(), min_size=8, max_size=8), draws=st.lists(st.floats(0, 0.999), min_size=8, max_size=8))
def test_m16_no_purge_without_defeat_by_the_masses_and_purges_at_the_propensity(defeated, draws):
    model = bundled_model()
    mi = P(model, "military_institution")
    state = fresh_state(model, 8, "october_1970")  # Torres: a nationalist military president
    month = make_month(model, 8, {"purge": np.array(draws)})
    m16.purge_after_clash(state, month, np.array(defeated))
    purged = np.zeros(8, dtype=bool)
    purged[events_of(month, EventType.PLOTTERS_PURGED)["run"]] = True
    np.testing.assert_array_equal(purged, np.array(defeated) & (np.array(draws) < mi.purge_propensity))


def test_m16_apply_alone_never_purges(model):
    state = fresh_state(model, 3, "october_1970")
    month = make_month(model, 3, default=ALWAYS)
    before = state.copy()
    m16.apply(state, P(model, "military_institution"), month)
    np.testing.assert_array_equal(state.weight, before.weight)


# --- M2 US leverage ----------------------------------------------------------------------------


def test_m2_us_aid_builds_the_army_more_when_patron_hostility_is_low(model):
    us = P(model, "patron_leverage")
    state = fresh_state(model, 2)
    month = make_month(model, 2)
    state.patron_hostility[:] = [0.1, 0.9]
    state.army_capacity[:] = 0.3
    state.dependence[:] = 0.2
    m2.apply(state, us, month)
    gain = state.army_capacity - 0.3
    assert gain[0] > gain[1] >= 0.0
    assert state.dependence[0] > state.dependence[1]
    assert state.support[us.foreign_patron, 0] > state.support[us.foreign_patron, 1]


def test_m2_patron_hostility_rises_with_left_policy(model):
    us = P(model, "patron_leverage")
    state = fresh_state(model, 2)
    state.policy[:] = [-0.5, 0.9]
    state.patron_hostility[:] = 0.5
    m2.apply(state, us, make_month(model, 2))
    assert state.patron_hostility[1] > state.patron_hostility[0]


def test_m2_an_expropriated_us_holding_keeps_the_us_hostile(model):
    """After Gulf the US could not reverse the decision and pressed for compensation (U.S. Imperialism, L361-364)."""
    us = P(model, "patron_leverage")
    gulf = model.holding_ids.index("gulf_oil")
    state = fresh_state(model, 2, "september_1970")
    state.holdings[gulf] = [True, False]  # run 1: Gulf's holdings in the state's hands
    state.holdings_taken[gulf] = [False, True]
    state.patron_hostility[:] = 0.3
    np.testing.assert_array_equal(m14.patron_holdings_expropriated(state, model), [0.0, 1.0])
    m2.apply(state, us, make_month(model, 2))
    assert us.expropriation_coef > 0
    assert state.patron_hostility[1] > state.patron_hostility[0]
    assert state.support[us.foreign_patron, 1] < state.support[us.foreign_patron, 0]  # cooperation falls


def test_m2_austerity_package_moves_policy_right_and_raises_hardship(model):
    us = P(model, "patron_leverage")
    state = fresh_state(model, 2)
    month = make_month(model, 2, {"austerity": np.array([ALWAYS, NEVER])})
    before = state.copy()
    m2.apply(state, us, month)
    assert state.policy[0] < state.policy[1] == before.policy[1]
    assert state.hardship[0] > state.hardship[1] == before.hardship[1]
    assert state.progressive_room[0] < state.progressive_room[1]
    np.testing.assert_array_equal(events_of(month, EventType.AUSTERITY_PACKAGE)["run"], [0])


def test_m2_austerity_is_likelier_with_dependence_and_never_under_a_workers_government(model):
    us = P(model, "patron_leverage")
    n = 400
    state = fresh_state(model, 2 * n + 1)
    month = make_month(model, 2 * n + 1, {"austerity": np.append(np.tile(grid(n), 2), ALWAYS)})
    low, high = halves(n)
    state.dependence[low] = 0.1
    state.dependence[high] = 0.9
    state.dependence[-1] = 1.0
    state.squeeze[:] = 1.0
    state.regime[-1] = RegimeType.WORKERS_GOVERNMENT
    m2.apply(state, us, month)
    package = np.zeros(2 * n + 1, dtype=bool)
    package[events_of(month, EventType.AUSTERITY_PACKAGE)["run"]] = True
    assert package[high].sum() > package[low].sum()
    assert not package[-1]


# --- M14 nationalizations and concessions ------------------------------------------------------


def test_m14_nationalization_raises_patron_hostility_and_uses_up_holdings(model):
    nat = P(model, "nationalization")
    state = fresh_state(model, 3, "october_1970")
    foreign = [h for h, owner in enumerate(model.holding_owners) if owner != "domestic"]
    state.holdings[:] = False
    state.holdings[foreign, 0] = True
    state.holdings[foreign, 1] = True  # run 2 has nothing left to take
    month = make_month(model, 3, {"nationalization": np.array([ALWAYS, NEVER, ALWAYS])})
    before = state.copy()
    m14.apply(state, nat, month)
    assert state.patron_hostility[0] > state.patron_hostility[1]
    assert not state.holdings[:, 0].any()
    np.testing.assert_array_equal(state.holdings[:, 1], before.holdings[:, 1])
    assert not state.holdings[:, 2].any()
    assert state.squeeze[0] > state.squeeze[1]
    assert state.progressive_room[0] < state.progressive_room[1]
    assert state.hardship[0] < state.hardship[1]
    for actor in nat.beneficiaries:
        assert state.support[actor, 0] > state.support[actor, 1]
    # one event per holding taken, its outcome naming the holding (what a record naming the holding is scored on)
    logged = events_of(month, EventType.NATIONALIZATION)
    np.testing.assert_array_equal(logged["run"], [0] * len(foreign))
    assert [holding_index(code) for code in logged["outcome"]] == foreign


def test_m14_us_holdings_are_deterred_while_relations_with_washington_hold(model):
    nat = P(model, "nationalization")
    n = 400
    gulf = model.holding_ids.index("gulf_oil")
    state = fresh_state(model, 2 * n)
    state.holdings[:] = False
    state.holdings[gulf] = True
    friendly, hostile = halves(n)
    state.patron_hostility[friendly] = 0.0
    state.patron_hostility[hostile] = 1.0
    state.nationalist_pressure[:] = 0.3  # the same pull toward the patron's holdings in both halves
    month = make_month(model, 2 * n, {"nationalization": np.tile(grid(n), 2)})
    m14.apply(state, nat, month)
    taken = ~state.holdings[gulf]
    assert nat.patron_deterrence > 0.0
    assert taken[hostile].sum() > taken[friendly].sum()


def test_m14_the_nationalist_current_turns_a_government_toward_the_patrons_holdings(model):
    """Ovando's left nationalists took Gulf (Introduction, L95-107): with a strong nationalist current the patron's
    holding comes before a domestic one; with a weak one (the MNR after 1952, L30-32) the patron deters it."""
    nat = P(model, "nationalization")
    n = 400
    gulf, sugar = model.holding_ids.index("gulf_oil"), model.holding_ids.index("sugar_industry")
    state = fresh_state(model, 2 * n, "october_1970")
    state.holdings[:] = False
    state.holdings[[gulf, sugar]] = True
    state.patron_hostility[:] = 0.25
    weak, strong = halves(n)
    state.nationalist_pressure[weak] = 0.1
    state.nationalist_pressure[strong] = 0.8
    month = make_month(model, 2 * n, {"nationalization": np.tile(grid(n), 2)})
    m14.apply(state, nat, month)
    gulf_taken, sugar_taken = ~state.holdings[gulf], ~state.holdings[sugar]
    assert gulf_taken[strong].sum() > gulf_taken[weak].sum()
    np.testing.assert_array_equal(sugar_taken[strong], sugar_taken[weak])  # the current pulls toward the patron's holding only
    assert gulf_taken[weak].sum() < sugar_taken[weak].sum()  # a weak current: the patron deters
    assert gulf_taken[strong].sum() > sugar_taken[strong].sum()  # a strong one: the patron's holding first
    # one program a month: the holding it is readier to take goes first (Gulf with a strong current, sugar with a weak one)
    assert not (sugar_taken & ~gulf_taken)[strong].any()
    assert not (gulf_taken & ~sugar_taken)[weak].any()


def test_m14_a_months_nationalizations_come_as_one_program(model):
    """Torres took part of the sugar industry and tin by-product processing together (Introduction, L143-147): holdings
    the government is equally ready to take go together or not at all."""
    nat = P(model, "nationalization")
    n = 400
    others = [h for h, owner in enumerate(model.holding_owners) if owner != "patron"]
    assert len(others) >= 2
    state = fresh_state(model, n, "october_1970")
    state.holdings[:] = False
    state.holdings[others] = True
    state.policy[:] = 0.9  # ready enough that some draws take them
    state.progressive_room[:] = 0.9
    month = make_month(model, n, {"nationalization": grid(n)})
    m14.apply(state, nat, month)
    taken = ~state.holdings[others]
    assert 0 < taken[0].sum() < n
    for row in taken[1:]:
        np.testing.assert_array_equal(row, taken[0])


def test_m14_concessions_only_from_right_leaning_governments_and_they_open_holdings(model):
    nat = P(model, "nationalization")
    state = fresh_state(model, 2)
    state.regime[:] = RegimeType.RIGHT_MILITARY
    state.policy[:] = [-0.6, 0.3]
    concessional = [h for h, made in enumerate(model.holding_from_concessions) if made]
    assert concessional, "the scenario names holdings that come with concessions"
    assert not state.holdings[concessional].any()  # none at the start
    month = make_month(model, 2, {"concession": ALWAYS})
    m14.apply(state, nat, month)
    np.testing.assert_array_equal(events_of(month, EventType.FOREIGN_CONCESSION)["run"], [0])
    assert state.holdings[concessional, 0].all() and not state.holdings[concessional, 1].any()


def test_m14_what_the_state_took_stays_taken_and_keeps_counting_as_expropriated(model):
    """Gulf's holdings come with the concessions (bolivia-1952); once a government has taken them a later concession
    does not bring them back, and Washington keeps counting them as expropriated (U.S. Imperialism, L361-363)."""
    nat = P(model, "nationalization")
    gulf = model.holding_ids.index("gulf_oil")
    assert model.holding_owners[gulf] == "patron" and model.holding_from_concessions[gulf]
    state = fresh_state(model, 3)
    assert not state.holdings[gulf].any() and not state.holdings_taken[gulf].any()  # not in 1952
    np.testing.assert_array_equal(m14.patron_holdings_expropriated(state, model), [0.0, 0.0, 0.0])  # nothing to count
    # Runs: a concession brings Gulf in; Gulf already taken when a concession comes; no concession.
    state.holdings_taken[gulf] = [False, True, False]
    state.regime[:] = RegimeType.RIGHT_MILITARY
    state.policy[:] = [-0.6, -0.6, 0.3]
    m14.apply(state, nat, make_month(model, 3, {"concession": ALWAYS}))
    assert state.holdings[gulf].tolist() == [True, False, False]
    assert state.holdings_taken[gulf].tolist() == [False, True, False]
    np.testing.assert_array_equal(m14.patron_holdings_expropriated(state, model), [0.0, 1.0, 0.0])
    # A nationalist government takes the Gulf that came in run 0: now it counts as expropriated there too.
    state.regime[:] = RegimeType.NATIONALIST_MILITARY
    state.policy[:] = 0.6
    m14.apply(state, nat, make_month(model, 3, {"nationalization": ALWAYS, "concession": NEVER}))
    assert state.holdings_taken[gulf].tolist() == [True, True, False]
    np.testing.assert_array_equal(m14.patron_holdings_expropriated(state, model), [1.0, 1.0, 0.0])


def test_m14_a_snapshot_counts_what_it_lists_as_nationalized_as_taken(model):
    state = fresh_state(model, 1, "march_1971")
    for holding in ("gulf_oil", "sugar_industry", "tin_byproducts"):
        h = model.holding_ids.index(holding)
        assert state.holdings_taken[h, 0] and not state.holdings[h, 0]
    assert state.holdings_taken[model.holding_ids.index("tin_mines"), 0]  # nationalized in 1952, before the start


# --- M1 nationalist drift ----------------------------------------------------------------------


def test_m1_drift_to_the_right_is_faster_with_more_dependence(model):
    drift = P(model, "nationalist_drift")
    state = fresh_state(model, 2)
    for actor in drift.labor:
        state.mobilization[actor] = 0.0
    state.dependence[:] = [0.2, 0.8]
    state.policy[:] = 0.3
    state.progressive_room[:] = 0.9
    m1.apply(state, drift, make_month(model, 2))
    assert state.policy[1] < state.policy[0] <= 0.3
    assert state.progressive_room[1] <= state.progressive_room[0]


def test_m1_the_workers_mobilization_pulls_policy_left_while_room_remains(model):
    drift = P(model, "nationalist_drift")
    state = fresh_state(model, 2)
    for actor in drift.labor:
        state.mobilization[actor] = [0.0, 1.0]
    state.policy[:] = 0.2
    state.progressive_room[:] = 0.9
    m1.apply(state, drift, make_month(model, 2))
    assert state.policy[1] > state.policy[0]


@FAST
@given(
    policy=st.floats(-1, 1),
    room=st.floats(0, 1),
    dependence=st.floats(0, 1),
    squeeze=st.floats(0, 1),
    mobilization=st.floats(0, 1),
    regime=st.sampled_from([RegimeType.CIVILIAN_NATIONALIST, RegimeType.NATIONALIST_MILITARY]),
)
def test_m1_policy_never_exceeds_progressive_room_under_nationalism(policy, room, dependence, squeeze, mobilization, regime):
    model = bundled_model()
    drift = P(model, "nationalist_drift")
    state = fresh_state(model, 1)
    state.regime[:] = regime
    state.policy[:] = policy
    state.progressive_room[:] = room
    state.dependence[:] = dependence
    state.squeeze[:] = squeeze
    for actor in drift.labor:
        state.mobilization[actor] = mobilization
    m1.apply(state, drift, make_month(model, 1))
    assert state.policy[0] <= state.progressive_room[0] + 1e-12
    assert state.progressive_room[0] <= room + 1e-12  # room only shrinks


def test_m1_right_and_workers_governments_hold_their_anchors(model):
    drift = P(model, "nationalist_drift")
    state = fresh_state(model, 2)
    state.regime[:] = [RegimeType.RIGHT_MILITARY, RegimeType.WORKERS_GOVERNMENT]
    state.policy[:] = 0.0
    m1.apply(state, drift, make_month(model, 2))
    anchors = P(model, "regimes")
    assert state.policy[0] < 0.0 or anchors.policy_right_military >= 0.0
    assert state.policy[1] > 0.0 or anchors.policy_workers_government <= 0.0
    assert abs(state.policy[0] - anchors.policy_right_military) < abs(0.0 - anchors.policy_right_military) or drift.anchor_speed == 0


# --- M3 the new class --------------------------------------------------------------------------


def test_m3_corruption_grows_while_the_party_governs_and_decays_otherwise(model):
    nc = P(model, "new_class")
    state = fresh_state(model, 3)
    state.regime[:] = [RegimeType.CIVILIAN_NATIONALIST, RegimeType.RIGHT_MILITARY, RegimeType.NATIONALIST_MILITARY]
    state.corruption[:] = 0.3
    m3.apply(state, nc, make_month(model, 3))
    assert state.corruption[0] > 0.3
    assert state.corruption[1] < 0.3
    assert state.corruption[2] < 0.3


def test_m3_party_splits_only_while_governing(model):
    nc = P(model, "new_class")
    state = fresh_state(model, 2)
    state.regime[:] = [RegimeType.CIVILIAN_NATIONALIST, RegimeType.RIGHT_MILITARY]
    month = make_month(model, 2, {"party_split": ALWAYS})
    m3.apply(state, nc, month)
    np.testing.assert_array_equal(events_of(month, EventType.PARTY_SPLIT)["run"], [0])
    assert state.cohesion[nc.party, 0] < state.cohesion[nc.party, 1]


# --- M4 mystification --------------------------------------------------------------------------


def test_m4_mystification_wears_off_faster_in_the_cities(model):
    myst = P(model, "mystification")
    state = fresh_state(model, 1)
    state.policy[:] = myst.promise - 0.5
    state.mystification_urban[:] = 0.8
    state.mystification_rural[:] = 0.8
    m4.apply(state, myst, make_month(model, 1))
    urban_loss = 0.8 - state.mystification_urban[0]
    rural_loss = 0.8 - state.mystification_rural[0]
    assert urban_loss > rural_loss >= 0.0


def test_m4_mystification_wears_off_faster_the_further_right_policy_drifts(model):
    myst = P(model, "mystification")
    state = fresh_state(model, 3)
    state.policy[:] = [myst.promise, myst.promise - 0.2, myst.promise - 0.8]
    state.mystification_urban[:] = 0.8
    m4.apply(state, myst, make_month(model, 3))
    assert state.mystification_urban[0] == 0.8  # policy keeps the promise: no erosion
    assert state.mystification_urban[0] > state.mystification_urban[1] > state.mystification_urban[2]


# --- M9 agrarian structure ---------------------------------------------------------------------


def test_m9_peasant_support_moves_toward_clientelism_whoever_rules(model):
    ag = P(model, "agrarian_structure")
    regimes = list(RegimeType)
    n = 2 * len(regimes)
    state = fresh_state(model, n)
    state.regime[:] = np.repeat([int(r) for r in regimes], 2)
    low = max(ag.clientelism - 0.3, 0.0)
    high = min(ag.clientelism + 0.3, 1.0)
    start = np.tile([low, high], len(regimes))
    state.support[ag.peasantry] = start
    m9.apply(state, ag, make_month(model, n))
    after = state.support[ag.peasantry]
    assert np.all(np.abs(after - ag.clientelism) < np.abs(start - ag.clientelism))
    assert np.all(after[0::2] > start[0::2])
    assert np.all(after[1::2] < start[1::2])


def test_m9_differentiation_grows_faster_under_a_right_military_government(model):
    ag = P(model, "agrarian_structure")
    state = fresh_state(model, 2)
    state.regime[:] = [RegimeType.CIVILIAN_NATIONALIST, RegimeType.RIGHT_MILITARY]
    state.differentiation[:] = 0.2
    m9.apply(state, ag, make_month(model, 2))
    assert state.differentiation[1] > state.differentiation[0] >= 0.2
    assert state.organization[ag.peasantry].max() <= ag.organization_ceiling


# --- M10 guerrilla foco ------------------------------------------------------------------------


def test_m10_guerrilla_defeat_radicalizes_students_and_pushes_the_army_nationalist(model):
    gf = P(model, "guerrilla_foco")
    state = fresh_state(model, 2)
    state.organization[gf.guerrillas] = 0.8
    state.arms[gf.guerrillas] = 0.8
    month = make_month(model, 2, {"foco_defeat": np.array([ALWAYS, NEVER])})
    before = state.copy()
    m10.apply(state, gf, month)
    assert state.radicalism[gf.students, 0] > state.radicalism[gf.students, 1] == before.radicalism[gf.students, 1]
    assert state.radicalism[gf.religious_left, 0] > state.radicalism[gf.religious_left, 1]
    assert state.nationalist_pressure[0] > state.nationalist_pressure[1]
    assert state.guerrilla_defeats[0] == before.guerrilla_defeats[0] + 1
    assert state.organization[gf.guerrillas, 0] == 0.0
    assert state.organization[gf.guerrillas, 1] == 0.8
    np.testing.assert_array_equal(events_of(month, EventType.GUERRILLA_DEFEATED)["run"], [0])


def test_m10_no_defeat_without_an_active_foco_and_no_new_foco_before_a_first_defeat(model):
    gf = P(model, "guerrilla_foco")
    state = fresh_state(model, 1)
    state.organization[gf.guerrillas] = 0.0
    state.guerrilla_defeats[:] = 0.0
    month = make_month(model, 1, default=ALWAYS)
    m10.apply(state, gf, month)
    assert events_of(month, EventType.GUERRILLA_DEFEATED)["run"].size == 0
    assert events_of(month, EventType.GUERRILLA_FOCO)["run"].size == 0


# --- M11 Left unity, the cabinet offer and the Popular Assembly --------------------------------


def test_m11_a_united_left_accepts_the_cabinet_more_often(model):
    n = 400
    state = fresh_state(model, 2 * n, "october_1970")
    month = make_month(model, 2 * n, {"cabinet": np.tile(grid(n), 2)})
    divided, united = halves(n)
    state.left_unity[divided] = 0.0
    state.left_unity[united] = 1.0
    before = state.policy.copy()
    m11.offer_cabinet(state, month, np.ones(2 * n, dtype=bool))
    rows = events_of(month, EventType.CABINET_OFFER)
    assert rows["run"].size == 2 * n
    accepted = np.zeros(2 * n, dtype=bool)
    accepted[rows["run"][rows["outcome"] == int(Outcome.ACCEPTED)]] = True
    assert accepted[united].sum() > accepted[divided].sum()
    assert not np.any(accepted[divided] & ~accepted[united])
    # Accepting moves policy left; declining leaves it.
    assert np.all(state.policy[accepted] > before[accepted])
    np.testing.assert_array_equal(state.policy[~accepted], before[~accepted])


def test_m11_no_cabinet_offer_no_change(model):
    state = fresh_state(model, 3, "october_1970")
    month = make_month(model, 3, {"cabinet": ALWAYS})
    before = state.copy()
    m11.offer_cabinet(state, month, np.zeros(3, dtype=bool))
    np.testing.assert_array_equal(state.policy, before.policy)
    assert events_of(month, EventType.CABINET_OFFER)["run"].size == 0


def test_m11_a_more_united_revolutionary_left_raises_the_popular_assembly_hazard(model):
    n = 400
    # A mid-range intercept so the unity effect shows on a grid of uniforms.
    tuned = with_params(model, "left_unity", assembly_intercept=-1.0, include_party_unionists=0.0, adjustment_speed=0.0, noise_scale=0.0)
    lu = P(tuned, "left_unity")
    state = fresh_state(tuned, 2 * n)
    state.regime[:] = RegimeType.NATIONALIST_MILITARY
    state.popular_power[:] = 1.0
    state.mystification_urban[:] = 0.0
    for actor in lu.labor:
        state.mobilization[actor] = 0.0
        state.radicalism[actor] = 0.0
    divided, united = halves(n)
    state.revolutionary_unity[divided] = lu.unity_threshold
    state.revolutionary_unity[united] = 1.0
    month = make_month(tuned, 2 * n, {"assembly": np.tile(grid(n), 2)})
    m11.apply(state, lu, month)
    formed = state.assembly
    assert formed[united].sum() > formed[divided].sum()
    assert not np.any(formed[divided] & ~formed[united])
    np.testing.assert_array_equal(np.flatnonzero(formed), events_of(month, EventType.POPULAR_ASSEMBLY)["run"])


def test_m11_no_assembly_under_the_mnr_or_a_right_military_government_or_without_unity(model):
    lu = P(model, "left_unity")
    state = fresh_state(model, 4)
    state.regime[:] = [RegimeType.RIGHT_MILITARY, RegimeType.CIVILIAN_NATIONALIST, RegimeType.NATIONALIST_MILITARY, RegimeType.NATIONALIST_MILITARY]
    state.revolutionary_unity[:] = [1.0, 1.0, 0.0, 1.0]
    state.popular_power[:] = 1.0  # the workers have just shown their power
    month = make_month(model, 4, {"assembly": ALWAYS})
    m11.apply(state, lu, month)
    assert state.assembly.tolist() == [False, False, False, True]


def test_m11_no_assembly_without_power_recently_shown_in_the_streets(model):
    lu = P(model, "left_unity")
    state = fresh_state(model, 3)
    state.regime[:] = RegimeType.NATIONALIST_MILITARY
    state.revolutionary_unity[:] = 1.0
    # Never shown; shown long ago (below the threshold after this month's fading); shown just now.
    state.popular_power[:] = [0.0, lu.assembly_power_threshold, 1.0]
    month = make_month(model, 3, {"assembly": ALWAYS})
    m11.apply(state, lu, month)
    assert state.assembly.tolist() == [False, False, True]
    np.testing.assert_allclose(state.popular_power, [0.0, lu.assembly_power_threshold * (1 - lu.power_decay), 1 - lu.power_decay])


def test_m11_a_united_front_forms_at_the_bar_and_breaks_up_only_well_below_it(model):
    """Unions and splits are logged once each; between the two bars the front stays as it was."""
    held = with_params(model, "left_unity", adjustment_speed=0.0, noise_scale=0.0)
    lu = P(held, "left_unity")
    assert lu.split_threshold < lu.unity_threshold
    between = (lu.split_threshold + lu.unity_threshold) / 2
    state = fresh_state(held, 7)
    # Runs: above the bar at the start; apart, reaching the bar; standing, between; standing, below the lower bar;
    # apart, between; between at the start; standing, at the lower bar.
    state.left_unity[:] = [0.9, 0.0, 0.0, 0.0, 0.0, between, 0.0]
    m11.begin(state, lu)  # the run's start reads the front off the starting unity
    assert state.left_united.tolist() == [1, 0, 0, 0, 0, 0, 0]
    state.left_united[1:5] = [0, 1, 1, 0]
    state.left_united[6] = 1
    state.left_unity[1:5] = [lu.unity_threshold, between, lu.split_threshold - 0.01, between]
    state.left_unity[6] = lu.split_threshold
    month = make_month(held, 7)
    m11.apply(state, lu, month)
    assert state.left_united.tolist() == [1, 1, 1, 0, 0, 0, 1]
    assert events_of(month, EventType.LEFT_UNITY)["run"].tolist() == [1]  # a front standing at the start is no new event
    assert events_of(month, EventType.LEFT_SPLIT)["run"].tolist() == [3]
    # A second month changes nothing: no front is formed or broken twice.
    again = make_month(held, 7)
    m11.apply(state, lu, again)
    assert state.left_united.tolist() == [1, 1, 1, 0, 0, 0, 1]
    assert events_of(again, EventType.LEFT_UNITY)["run"].size == 0 and events_of(again, EventType.LEFT_SPLIT)["run"].size == 0


def test_m11_a_shock_in_the_first_month_that_unites_the_left_is_logged(model):
    """The front is read off the starting unity before the first month's scheduled events, so a shock that lifts unity
    past the bar in the first month forms a front like any later one."""
    from coyuntura.engine.model import compile_scenario
    from coyuntura.engine.simulate import simulate
    from coyuntura.experiments.whatif import Intervention, apply_intervention, parse_event
    from coyuntura.scenario.calendar import format_month

    start = model.scenario.calendar.start
    shock = parse_event("{id: pact, kind: system_shock, month: '" + format_month(start) + "', variable: left_unity, value: 0.95}")
    shocked, _ = apply_intervention(model.scenario, Intervention(add_events=(shock,)))
    ensemble = simulate(compile_scenario(shocked), 3, seed=0, until=start, keep_events=True)
    unions = ensemble.events["run"][ensemble.events["event"] == int(EventType.LEFT_UNITY)]
    assert sorted(unions.tolist()) == [0, 1, 2]
    # A Left united from the start has formed no front in the first month.
    united, _ = apply_intervention(model.scenario, Intervention(changes={"system.left_unity": 0.95}))
    ensemble = simulate(compile_scenario(united), 3, seed=0, until=start, keep_events=True)
    assert not np.any(ensemble.events["event"] == int(EventType.LEFT_UNITY))


def test_m11_the_assembly_needs_the_revolutionary_left_agreed_not_the_whole_front(model):
    """The Assembly is the revolutionary Left's project (Popular Assembly, L206-214): a front of the whole Left does not
    organize it while the revolutionary factions disagree, and they can organize it while the PCB stands apart."""
    held = with_params(model, "left_unity", adjustment_speed=0.0, noise_scale=0.0)
    lu = P(held, "left_unity")
    state = fresh_state(held, 3)
    state.regime[:] = RegimeType.NATIONALIST_MILITARY
    state.popular_power[:] = 1.0
    state.left_unity[:] = [1.0, 0.0, 0.0]
    state.left_united[:] = [1, 0, 0]
    state.revolutionary_unity[:] = [lu.unity_threshold - 0.01, lu.unity_threshold, 0.0]
    month = make_month(held, 3, {"assembly": ALWAYS})
    m11.apply(state, lu, month)
    assert state.assembly.tolist() == [False, True, False]
    assert state.left_united.tolist() == [1, 0, 0]


def test_m11_cooptation_divides_the_whole_left_not_the_revolutionary_left(model):
    """A nationalist military government that wins the PCB and PRIN over pulls the whole Left's unity down (The Miners,
    L246-251); the revolutionary Left that presses for the Assembly feels the same threats and opening without that drag."""
    n = 2
    lu = P(model, "left_unity")
    state = fresh_state(model, n)
    state.regime[:] = RegimeType.NATIONALIST_MILITARY
    state.left_unity[:] = 0.5
    state.revolutionary_unity[:] = 0.5
    for party in lu.coopted_parties:
        state.support[party] = [0.0, 1.0]  # courted in vain; won over
    month = make_month(model, n, {"unity_noise": np.full(n, 0.5), "revolutionary_unity_noise": np.full(n, 0.5)})
    m11.apply(state, lu, month)
    assert state.left_unity[1] < state.left_unity[0]
    assert state.revolutionary_unity[1] == state.revolutionary_unity[0]
    assert state.revolutionary_unity[1] > state.left_unity[1]


def test_m11_unity_rises_under_threat_and_with_an_opening(model):
    lu = P(model, "left_unity")
    state = fresh_state(model, 4, "october_1970")
    state.left_unity[:] = 0.3
    state.regime[:] = RegimeType.NATIONALIST_MILITARY
    state.coup_memory[:] = [0.0, 0.9, 0.0, 0.0]
    state.months_since_repression[:] = [10_000, 10_000, 1, 10_000]
    state.policy[:] = [0.0, 0.0, 0.0, 0.6]
    state.revolutionary_unity[:] = 0.3
    m11.apply(state, lu, make_month(model, 4))
    for unity in (state.left_unity, state.revolutionary_unity):
        calm = unity[0]
        assert unity[1] > calm and unity[2] > calm and unity[3] > calm


# --- M6 the mobilization cascade ---------------------------------------------------------------


def test_m6_the_miners_move_lowers_others_effective_thresholds(model):
    mm = P(model, "mass_mobilization")
    assert mm.pull_coef > 0 and mm.rounds >= 1, "the cascade must carry the miners' pull (DESIGN M6)"
    miners, workers = model.index("miners"), model.index("urban_workers")
    edges = {(s, t): w for s, t, w in model.influence}
    assert edges.get((miners, workers), 0.0) > 0.0, "the scenario must let the miners pull the urban workers"
    state = fresh_state(model, 2)
    month = make_month(model, 2)
    drive = mm.drive_coef * formal.grievance(state.hardship, state.support[workers]) * state.organization[workers]
    pull = mm.pull_coef * edges[(miners, workers)] * state.organization[miners]
    trigger = {actor: np.full(2, -100.0) for actor in mm.popular_actors}
    trigger[miners] = np.array([100.0, -100.0])  # the miners move in run 0 only
    trigger[workers] = model.threshold[workers] - drive - 0.5 * pull  # just short of the threshold alone
    mobilized = m6.cascade(state, month, trigger, "mobilization")
    assert mobilized[miners].tolist() == [True, False]
    assert mobilized[workers].tolist() == [True, False]


def test_m6_cascade_is_monotone_in_triggers(model):
    mm = P(model, "mass_mobilization")
    rng = np.random.default_rng(7)
    n = 500
    state = fresh_state(model, n, "october_1970")
    month = make_month(model, n, {f"mobilization.{a}": rng.random(n) for a in model.actor_ids})
    low = {actor: rng.normal(0.0, 0.5, n) for actor in mm.popular_actors}
    high = {actor: low[actor] + rng.uniform(0.0, 0.5, n) for actor in mm.popular_actors}
    before = m6.cascade(state, month, low, "mobilization")
    after = m6.cascade(state, month, high, "mobilization")
    for actor in mm.popular_actors:
        assert not np.any(before[actor] & ~after[actor])


def test_m6_grievance_drives_mobilization(model):
    mm = P(model, "mass_mobilization")
    state = fresh_state(model, 2, "october_1970")
    state.hardship[:] = [0.0, 1.0]
    for actor in mm.popular_actors:
        state.support[actor] = 0.0
        state.organization[actor] = 1.0
    month = make_month(model, 2)
    month.scratch["austerity"] = np.ones(2, dtype=bool)  # a trigger in both runs
    m6.apply(state, mm, month)
    out0 = sum(state.mobilization[a, 0] for a in mm.popular_actors)
    out1 = sum(state.mobilization[a, 1] for a in mm.popular_actors)
    assert out1 > out0
    assert "mobilized" in month.scratch


# --- M13 radicalization by contact -------------------------------------------------------------


def test_m13_contact_moves_a_target_toward_a_mobilized_source(model):
    rc = P(model, "radicalization_contact")
    miners, workers = model.index("miners"), model.index("urban_workers")
    assert any(s == miners and t == workers for s, t, _ in model.influence)
    state = fresh_state(model, 4)
    state.radicalism[:] = 0.0
    state.mobilization[:] = 0.0
    state.radicalism[miners] = [1.0, 1.0, -1.0, -1.0]
    state.mobilization[miners] = [1.0, 0.0, 1.0, 0.0]
    m13.apply(state, rc, make_month(model, 4))
    moved = state.radicalism[workers]
    assert moved[0] > moved[1] >= 0.0  # toward a left source, more when it is mobilized
    assert moved[2] < moved[3] <= 0.0  # toward a right source, likewise
    assert moved[0] > 0.0


# --- M15 economic squeeze ----------------------------------------------------------------------


def test_m15_squeeze_rises_with_left_policy(model):
    es = P(model, "economic_squeeze")
    state = fresh_state(model, 3)
    state.policy[:] = [-0.5, 0.1, 0.9]
    state.squeeze[:] = 0.5
    state.dependence[:] = 0.5
    m15.apply(state, es, make_month(model, 3))
    assert state.squeeze[0] <= state.squeeze[1] < state.squeeze[2]
    capital = es.national_capital
    assert state.support[capital, 2] <= state.support[capital, 1] <= state.support[capital, 0]


def test_m15_foreign_loans_raise_dependence_under_a_squeeze(model):
    es = P(model, "economic_squeeze")
    state = fresh_state(model, 2)
    state.policy[:] = 0.0
    state.squeeze[:] = [0.1, 0.9]
    state.dependence[:] = 0.3
    m15.apply(state, es, make_month(model, 2))
    assert state.dependence[1] > state.dependence[0] >= 0.3


# --- M17 polarization --------------------------------------------------------------------------


def test_m17_polarization_erodes_support_for_a_nationalist_military_government(model):
    pol = P(model, "polarization")
    state = fresh_state(model, 3)
    state.regime[:] = [RegimeType.NATIONALIST_MILITARY, RegimeType.NATIONALIST_MILITARY, RegimeType.RIGHT_MILITARY]
    state.polarization[:] = [0.2, 0.9, 0.9]
    for actor in model.domestic_actors:
        state.support[actor] = 0.6
    m17.apply(state, pol, make_month(model, 3))
    for actor in model.domestic_actors:
        assert state.support[actor, 1] < state.support[actor, 0] < 0.6
        assert state.support[actor, 2] == 0.6  # the middle way only erodes a middle-way government


def test_m17_no_insurrection_without_a_popular_assembly(model):
    pol = P(model, "polarization")
    state = fresh_state(model, 2, "march_1971")
    state.assembly[:] = [False, True]
    month = make_month(model, 2, {"insurrection": ALWAYS, "insurrection_outcome": ALWAYS})
    m17.apply(state, pol, month)
    np.testing.assert_array_equal(events_of(month, EventType.WORKERS_GOVERNMENT)["run"], [1])
    assert state.regime[0] == RegimeType.NATIONALIST_MILITARY
    assert state.regime[1] == RegimeType.WORKERS_GOVERNMENT


def test_m17_insurrection_is_led_by_the_revolutionary_left_not_the_whole_front(model):
    """The workers' move needs the leadership only the Left no government co-opts could give (Introduction, L131-134):
    the revolutionary Left's unity raises its hazard; the whole Left's, with the co-opted parties, does not."""
    pol = P(model, "polarization")
    state = fresh_state(model, 3, "march_1971")
    state.assembly[:] = True
    state.revolutionary_unity[:] = [0.1, 0.9, 0.1]
    state.left_unity[:] = [0.1, 0.1, 0.9]
    arms = np.mean([state.arms[w] for w in pol.workers], axis=0)
    chance = formal.hazard_probability(
        formal.log_linear_rate(pol.insurrection_intercept, (pol.insurrection_unity_coef, state.revolutionary_unity), (pol.insurrection_arms_coef, arms))
    )
    assert chance[1] > chance[0]
    threshold = float((chance[0] + chance[1]) / 2.0)  # a draw between the two: the united revolutionary Left moves
    month = make_month(model, 3, {"insurrection": threshold, "insurrection_outcome": NEVER})
    m17.apply(state, pol, month)
    attempts = events_of(month, EventType.WORKERS_GOVERNMENT)
    np.testing.assert_array_equal(attempts["run"], [1])


def test_m5_takeover_reads_the_revolutionary_left_arms_and_loyalty(model):
    """After a coup defeated by the masses the workers take power likelier when the revolutionary Left is united and
    they are armed, less when they back the incumbent; the co-opted parties' unity does not lead them (Introduction,
    L121-134)."""
    coup = P(model, "coup")
    workers = P(model, "arms").workers
    state = fresh_state(model, 5, "march_1971")
    state.revolutionary_unity[:] = [0.2, 0.8, 0.2, 0.2, 0.2]
    state.left_unity[:] = [0.2, 0.2, 0.9, 0.2, 0.2]
    for actor in workers:
        state.arms[actor] = [0.2, 0.2, 0.2, 0.8, 0.2]
        state.support[actor] = [0.5, 0.5, 0.5, 0.5, 0.1]
    chance = m5.takeover_probability(state, coup, workers)
    assert chance[1] > chance[0] and chance[3] > chance[0] and chance[4] > chance[0]
    assert chance[2] == pytest.approx(chance[0])
    assert np.all((chance > 0.0) & (chance < 1.0))


def _defeated_by_the_masses(month: Month, n: int) -> np.ndarray:
    rows = events_of(month, EventType.COUP_ATTEMPT)
    by_masses = np.zeros(n, dtype=bool)
    by_masses[rows["run"][rows["outcome"] == int(Outcome.DEFEATED_BY_MOBILIZATION)]] = True
    return by_masses


def test_m5_only_a_coup_defeated_by_the_masses_can_bring_the_workers_to_power(model):
    """Through the whole month's contest: the workers move on power only where they, not the army, beat the
    plotters (Introduction, L118-134), and then as their revolutionary Left is united (The Miners, L246-258)."""
    n = 400
    everyone = with_params(model, "coup", defence_intercept=5.0)  # everyone comes out to defend
    loyal = P(model, "coup").loyal_faction
    regimes = {}
    # Every other run has a strong loyal faction: there the coups that fail are the army's, not the masses'.
    strong_army = np.arange(n) % 2 == 0
    for name, takeover in (("always", ALWAYS), ("never", NEVER)):
        state, month = _coup_everywhere(everyone, n, outcome=np.repeat(grid(n // 2), 2), takeover=takeover, takeover_outcome=ALWAYS)
        state.weight[loyal] = np.where(strong_army, 1.0, 0.05)  # a small one: without the masses the plotters are favourites
        m5.apply(state, P(everyone, "coup"), month)
        by_masses = _defeated_by_the_masses(month, n)
        failed = np.zeros(n, dtype=bool)
        failed[np.setdiff1d(events_of(month, EventType.COUP_ATTEMPT)["run"], _coup_succeeded(month))] = True
        assert by_masses.any() and (failed & ~by_masses).any()  # defeats by the masses, and by the army
        regimes[name] = (state.regime.copy(), by_masses)
        moved = events_of(month, EventType.WORKERS_GOVERNMENT)["run"]
        np.testing.assert_array_equal(moved, np.flatnonzero(by_masses) if takeover == ALWAYS else [])
    workers_rule, by_masses = regimes["always"]
    np.testing.assert_array_equal(workers_rule == RegimeType.WORKERS_GOVERNMENT, by_masses)
    never_rule, _ = regimes["never"]
    assert not np.any(never_rule == RegimeType.WORKERS_GOVERNMENT)

    # The same defeats, one draw between the two chances: only where the revolutionary Left is united do they move.
    state, month = _coup_everywhere(everyone, n, outcome=grid(n), takeover_outcome=ALWAYS)
    state.weight[loyal] = 0.05
    united = np.arange(n) % 2 == 1
    state.revolutionary_unity[:] = np.where(united, 0.9, 0.1)
    state.left_unity[:] = np.where(united, 0.1, 0.9)  # the co-opted parties' unity leads no one
    coup = P(everyone, "coup")
    chance = m5.takeover_probability(state, coup, P(model, "arms").workers)
    assert chance[united].min() > chance[~united].max()
    threshold = (chance[united].min() + chance[~united].max()) / 2.0
    month = make_month(everyone, n, {"coup_plot": ALWAYS, "plot_camp": ALWAYS, "regional_plot": NEVER, "swing": 0.5,
                                     "coup_outcome": grid(n), "takeover": threshold, "takeover_outcome": ALWAYS})
    m5.apply(state, coup, month)
    by_masses = _defeated_by_the_masses(month, n)
    assert (by_masses & united).any() and (by_masses & ~united).any()
    np.testing.assert_array_equal(state.regime == RegimeType.WORKERS_GOVERNMENT, by_masses & united)


# --- legitimacy and grievance ------------------------------------------------------------------


def test_legitimacy_falls_with_policy_distance_and_corruption(model):
    gl = P(model, "grievance_legitimacy")
    miners = model.index("miners")
    state = fresh_state(model, 3)
    state.radicalism[miners] = 0.6
    state.policy[:] = [0.6, -0.6, 0.6]
    state.corruption[:] = [0.0, 0.0, 0.8]
    state.support[miners] = 0.5
    legit.apply(state, gl, make_month(model, 3))
    assert state.support[miners, 0] > state.support[miners, 1]
    assert state.support[miners, 0] > state.support[miners, 2]


# --- exogenous events --------------------------------------------------------------------------


def _leader_death(model) -> LeaderDeath:
    events = [e for e in model.scenario.events if isinstance(e, LeaderDeath)]
    assert events, "the bundled scenario schedules the military president's death"
    return events[0]


def test_leader_death_installs_a_nationalist_more_often_under_nationalist_pressure(model):
    event = _leader_death(model)
    n = 400
    state = fresh_state(model, 2 * n)
    state.regime[:] = RegimeType[event.applies_to.upper()]
    low, high = halves(n)
    state.nationalist_pressure[low] = 0.0
    state.nationalist_pressure[high] = 1.0
    month = make_month(model, 2 * n, {"succession": np.tile(grid(n), 2)}, index=event.month)
    apply_scheduled(state, month)
    nationalist = state.regime == RegimeType.NATIONALIST_MILITARY
    assert nationalist[high].sum() > nationalist[low].sum()
    assert not np.any(nationalist[low] & ~nationalist[high])
    assert np.all(state.policy[nationalist] == event.successor_policy.value)
    rows = events_of(month, EventType.SUCCESSION)
    assert rows["run"].size == 2 * n
    assert events_of(month, EventType.LEADER_DEATH)["run"].size == 2 * n
    assert (rows["outcome"] == int(Outcome.TO_NATIONALIST)).sum() == nationalist.sum()


def test_leader_death_spares_other_regimes_and_other_months(model):
    event = _leader_death(model)
    state = fresh_state(model, 2)
    other = [r for r in RegimeType if r.key != event.applies_to][0]
    state.regime[:] = other
    month = make_month(model, 2, {"succession": ALWAYS}, index=event.month)
    apply_scheduled(state, month)
    assert np.all(state.regime == other)
    state.regime[:] = RegimeType[event.applies_to.upper()]
    month = make_month(model, 2, {"succession": ALWAYS}, index=event.month + 1)
    apply_scheduled(state, month)
    assert np.all(state.regime == RegimeType[event.applies_to.upper()])
    assert month.log.columns()["run"].size == 0


def test_m11_an_accepted_cabinet_moves_policy_left_for_longer_than_a_month(model):
    """Regression: the cabinet's shift used to raise policy but not progressive_room, so M1's ceiling
    (policy <= progressive_room) clamped it straight back the next month."""
    from coyuntura.engine.government import install

    drift = P(model, "nationalist_drift")
    state = fresh_state(model, 1, "october_1970")
    month = make_month(model, 1, {"cabinet": ALWAYS})
    # The officer carried to power by the masses (as m5 does), then his cabinet offer, accepted.
    install(state, np.array([True]), RegimeType.NATIONALIST_MILITARY, month, 0, policy=np.maximum(state.policy, P(model, "coup").installation_policy))
    before_offer = state.policy[0]
    m11.offer_cabinet(state, month, np.array([True]))
    shift = state.policy[0] - before_offer
    assert shift > 0.0
    # Next month, with nothing pushing policy right (no dependence, squeeze or plotting faction) and nothing pulling it left.
    state.dependence[:] = 0.0
    state.squeeze[:] = 0.0
    state.weight[drift.right_faction] = 0.0
    for actor in drift.labor:
        state.mobilization[actor] = 0.0
    m1.apply(state, drift, make_month(model, 1))
    assert state.policy[0] > before_offer + 0.5 * shift


# --- issue 10: triggers, coalitions, exits -----------------------------------------------------


def test_m6_no_strike_wave_without_a_trigger(model):
    mm = P(model, "mass_mobilization")
    state = fresh_state(model, 3, "october_1970")
    state.hardship[:] = 1.0
    for actor in mm.popular_actors:
        state.support[actor] = 0.0
        state.organization[actor] = 1.0
    state.months_since_repression[:] = [10_000, 1, 1]
    state.months_since_mobilization[:] = [10_000, 10_000, 1]  # run 2 is resting after a strike
    month = make_month(model, 3)
    m6.apply(state, mm, month)
    out = [sum(bool(state.mobilization[a, k]) for a in mm.popular_actors) for k in range(3)]
    assert out[0] == 0 and out[1] > 0 and out[2] == 0
    np.testing.assert_array_equal(np.unique(events_of(month, EventType.GENERAL_STRIKE)["run"]), [1])
    assert state.months_since_mobilization[1] == 0


def test_m6_a_mobilization_that_fizzles_costs_organization(model):
    mm = P(model, "mass_mobilization")
    state = fresh_state(model, 2, "october_1970")
    before = state.organization.copy()
    only_miners = {a: np.zeros(2, dtype=bool) for a in mm.popular_actors}
    miners = model.index("miners")
    only_miners[miners] = np.array([True, False])
    m6.defeat_cost(state, make_month(model, 2), only_miners, np.array([True, True]))
    assert state.organization[miners, 0] < before[miners, 0]
    assert state.organization[miners, 1] == before[miners, 1]


def test_m8_a_government_does_not_repress_its_own_base(model):
    rep = P(model, "repression")
    n = 400
    state = fresh_state(model, 2 * n)
    month = make_month(model, 2 * n, {"repression": np.tile(grid(n), 2)})
    outside, inside = halves(n)
    state.coalition[:] = False
    for actor in rep.targets:
        state.coalition[actor, inside] = True
    before = state.organization.copy()
    m8.apply(state, rep, month)
    waves = np.zeros(2 * n, dtype=bool)
    waves[events_of(month, EventType.REPRESSION_WAVE)["run"]] = True
    assert waves[inside].sum() < waves[outside].sum() or rep.coalition_coef == 0.0
    for actor in rep.targets:  # where a wave came, its own base was spared
        hit_inside = waves & np.isin(np.arange(2 * n), np.arange(n, 2 * n))
        assert np.all(state.organization[actor, hit_inside] >= before[actor, hit_inside])


def test_legitimacy_the_coalition_supports_its_government_more(model):
    gl = P(model, "grievance_legitimacy")
    state = fresh_state(model, 2)
    miners = model.index("miners")
    state.coalition[miners] = [False, True]
    legit.apply(state, gl, make_month(model, 2))
    assert state.support[miners, 1] > state.support[miners, 0] or gl.coalition_coef == 0.0


def test_regime_exit_officers_hand_power_to_civilians_more_often_under_pressure(model):
    from coyuntura.engine.mechanisms import m18_regime_exit as m18

    exits = P(model, "regime_exit")
    n = 400
    state = fresh_state(model, 2 * n, "october_1970")
    state.months_in_power[:] = 12
    calm, pressed = halves(n)
    state.coup_memory[calm] = 0.0
    state.coup_memory[pressed] = 1.0
    month = make_month(model, 2 * n, {"handover": np.tile(grid(n), 2), "ruler_death": NEVER})
    m18.apply(state, exits, month)
    civilian = state.regime == RegimeType.CIVILIAN_ELECTED
    assert civilian[pressed].sum() > civilian[calm].sum()
    np.testing.assert_array_equal(np.flatnonzero(civilian), events_of(month, EventType.HANDOVER)["run"])
    assert np.all(state.months_in_power[civilian] == 0)


def test_regime_exit_a_military_rulers_death_lets_the_corps_choose_by_its_nationalist_current(model):
    from coyuntura.engine.mechanisms import m18_regime_exit as m18

    exits = P(model, "regime_exit")
    n = 400
    state = fresh_state(model, 2 * n)
    state.regime[:] = RegimeType.RIGHT_MILITARY
    state.months_in_power[:] = 12
    low, high = halves(n)
    state.nationalist_pressure[low] = 0.0
    state.nationalist_pressure[high] = 1.0
    month = make_month(model, 2 * n, {"ruler_death": ALWAYS, "handover": NEVER, "palace_succession": np.tile(grid(n), 2)})
    m18.apply(state, exits, month)
    nationalist = state.regime == RegimeType.NATIONALIST_MILITARY
    assert nationalist[high].sum() > nationalist[low].sum()
    assert events_of(month, EventType.LEADER_DEATH)["run"].size == 2 * n


def test_a_mechanism_may_declare_one_draw_per_holding(monkeypatch):
    """``HOLDING_SLOTS`` (plug-in API; no bundled mechanism uses it since M14's holdings share one program draw): each
    declared slot gets one uniform per named holding, in the scenario's order, each its own stream."""
    from coyuntura.engine.model import compile_scenario
    from coyuntura.engine.random import RunStreams
    from coyuntura.scenario.loader import load_scenario

    scenario = load_scenario("bolivia-1952")
    plain = compile_scenario(scenario)
    monkeypatch.setattr(m14, "HOLDING_SLOTS", ("probe",), raising=False)
    probed = compile_scenario(scenario)
    added = [name for name in probed.layout.names if name not in plain.layout.names]
    assert added == [f"probe.{holding.id}" for holding in scenario.holdings]
    draws = RunStreams(0, 0, 0, 50, probed.layout).next_month()
    first, second = (draws.uniform(name) for name in added[:2])
    assert first.shape == (50,) and not np.array_equal(first, second)
