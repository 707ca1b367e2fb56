"""A pyabc sampler whose populations depend only on the seed, on any executor.

Particles are proposed and judged by pyabc's own functions, but in numbered batches, each seeded from
``SeedSequence(seed, spawn_key=(generation + 1, batch))`` and simulated together in one vectorized call;
batches are accepted in order until the population is full, so which worker ran a batch changes nothing.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..defaults import DEFAULT_BATCH_PARTICLES

if TYPE_CHECKING:
    from .calibration import TimelineModel


def _quiet_pyabc() -> None:
    """pyabc logs every generation at INFO; the CLI shows its own progress instead."""
    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _proposals(simulate_one: Any, size: int) -> list[tuple[int, Any]]:
    """``size`` (model, parameter) proposals drawn exactly as pyabc's ``simulate_one`` would draw them."""
    from pyabc.inference_util import generate_valid_proposal

    kw = simulate_one.keywords
    if simulate_one.func.__name__ == "_simulate_one_from_prior":
        proposals = []
        for _ in range(size):
            m = int(kw["model_prior"].rvs())
            proposals.append((m, kw["parameter_priors"][m].rvs()))
        return proposals
    names = ("t", "m", "p", "model_prior", "parameter_priors", "model_perturbation_kernel", "transitions")
    return [generate_valid_proposal(**{name: kw[name] for name in names}) for _ in range(size)]


def _particle(simulate_one: Any, m: int, theta: Any, statistics: dict) -> Any:
    """The particle pyabc's ``simulate_one`` would return for this proposal, given its simulated statistics."""
    from pyabc.inference_util import evaluate_proposal, only_simulate_data_for_proposal
    from pyabc.population import Particle

    from .abc_kernels import SimulatedAlready

    kw = simulate_one.keywords
    models = [SimulatedAlready(statistics)] * (m + 1)
    if simulate_one.func.__name__ == "_simulate_one_from_prior":
        result = models[m].summary_statistics(0, theta, kw["summary_statistics"])
        return Particle(m=m, parameter=theta, weight=1.0, sum_stat=result.sum_stat, distance=np.inf, accepted=True, proposal_id=0, preliminary=False)
    common = {"t": kw["t"], "models": models, "summary_statistics": kw["summary_statistics"], "weight_function": kw["weight_function"],
              "proposal_id": kw["proposal_id"]}
    if not kw["evaluate"]:
        return only_simulate_data_for_proposal(m, theta, **common)
    return evaluate_proposal(m, theta, distance_function=kw["distance_function"], eps=kw["eps"], acceptor=kw["acceptor"], x_0=kw["x_0"], **common)


def _evaluate_batch(simulate_one: Any, timeline: TimelineModel, seed: int, t: int, batch: int, size: int) -> list:
    """Propose ``size`` particles, simulate them in one vectorized call, and let pyabc judge each one.

    numpy's and Python's global generators (which pyabc's proposals read) and the
    simulation's streams are all seeded from (seed, generation, batch), so a batch's
    particles depend on nothing else.
    """
    import cloudpickle

    if isinstance(simulate_one, bytes):
        simulate_one = cloudpickle.loads(simulate_one)
    _quiet_pyabc()  # on a worker too
    saved = np.random.get_state(), random.getstate()
    entropy = np.random.SeedSequence(seed, spawn_key=(t + 1, batch)).generate_state(4)
    np.random.seed(entropy)
    random.seed(int(entropy[0]))
    try:
        proposals = _proposals(simulate_one, size)
        statistics = timeline.batch([theta for _, theta in proposals], int(entropy[1] >> 1))
        return [_particle(simulate_one, m, theta, stats) for (m, theta), stats in zip(proposals, statistics)]
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])


def ordered_sampler(
    seed: int, timeline: TimelineModel, executor: Any = None, batch_size: int = DEFAULT_BATCH_PARTICLES,
    progress: Callable[[int, int, int], None] | None = None,
) -> Any:
    """A pyabc sampler whose populations depend only on the seed (see :class:`OrderedSampler`); ``executor``: :mod:`coyuntura.executor`."""
    from pyabc.sampler import Sampler

    from ..executor import as_executor

    class OrderedSampler(Sampler):
        """Particles in numbered, individually seeded batches simulated together, accepted in batch order; on any executor."""

        def __init__(self) -> None:
            super().__init__()
            self.seed, self.executor, self.batch_size, self.progress = seed, as_executor(executor), batch_size, progress
            self._leftover: list[Any] = []  # batches still running past a full population (results unused)

        def stop(self) -> None:
            """At the end of a run, let leftover batches finish so the cluster closes cleanly."""
            if self._leftover:
                self.executor.wait_all(self._leftover, timeout=120)
                self._leftover = []

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
            results = self._parallel(n, simulate_one, t, max_eval) if self.executor.parallel else self._local(n, simulate_one, t, max_eval)
            sample = self._create_empty_sample()
            accepted = evaluations = 0
            for particle in (p for batch in results for p in batch):
                if accepted >= n:
                    break
                sample.append(particle)
                evaluations += 1
                accepted += int(particle.accepted)
            self.nr_evaluations_ = evaluations
            if sample.n_accepted < n:
                sample.ok = False
            return sample

        def _report(self, t: int, accepted: int, n: int) -> None:
            if self.progress is not None:
                self.progress(t, min(accepted, n), n)

        def _local(self, n, simulate_one, t, max_eval) -> list[list]:
            results: list[list[Any]] = []
            accepted, evaluations = 0, 0
            while accepted < n and evaluations < max_eval:
                batch = _evaluate_batch(simulate_one, timeline, self.seed, t, len(results), self.batch_size)
                results.append(batch)
                accepted += sum(int(p.accepted) for p in batch)
                evaluations += len(batch)
                self._report(t, accepted, n)
            return results

        def _parallel(self, n, simulate_one, t, max_eval) -> list[list]:
            import cloudpickle

            payload = self.executor.share(cloudpickle.dumps(simulate_one))
            model = self.executor.share(timeline)
            workers = self.executor.workers
            in_flight: dict[int, Any] = {}
            done: dict[int, list] = {}
            submitted = prefix = accepted = evaluations = 0
            self._leftover = [f for f in self._leftover if not f.done()]
            try:
                while accepted < n and evaluations < max_eval:
                    while len(in_flight) < workers + 1:
                        in_flight[submitted] = self.executor.submit(_evaluate_batch, payload, model, self.seed, t, submitted, self.batch_size)
                        submitted += 1
                    finished = self.executor.wait_first(in_flight.values())
                    for batch in [b for b, f in in_flight.items() if f in finished]:
                        done[batch] = in_flight.pop(batch).result()
                    while prefix in done and accepted < n and evaluations < max_eval:
                        accepted += sum(int(p.accepted) for p in done[prefix])
                        evaluations += len(done[prefix])
                        prefix += 1
                    self._report(t, accepted, n)
            except BaseException:
                for future in in_flight.values():
                    future.cancel()
                raise
            self._leftover += list(in_flight.values())
            return [done[b] for b in range(prefix)]

    return OrderedSampler()
