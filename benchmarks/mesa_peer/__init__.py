"""The bundled Bolivia scenario as a Mesa 3 model: a peer of the engine for benchmarks and agreement checks.

``BoliviaModel`` is one trajectory (one Mesa agent per actor); ``simulate_peer`` runs an
ensemble of them; ``agreement`` compares outcome frequencies with the engine's within
Monte Carlo error. Needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from .agreement import KEY_MEASURES, Measure, agreement_table, two_sample_z
from .ensemble import PeerEnsemble, simulate_peer
from .model import BoliviaModel

__all__ = ["BoliviaModel", "KEY_MEASURES", "Measure", "PeerEnsemble", "agreement_table", "simulate_peer", "two_sample_z"]
