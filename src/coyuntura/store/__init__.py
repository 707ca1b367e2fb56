"""The embedded run store (DuckDB + Parquet): every run, forecast, what-if, sweep and calibration."""

from .check import Repair, StoreCheck, repair_store, verify_store
from .runstore import STORE_ENV, Item, RunStore, StoreError, code_version, default_store_path, scenario_hash

__all__ = [
    "STORE_ENV", "Item", "Repair", "RunStore", "StoreCheck", "StoreError", "code_version", "default_store_path", "repair_store",
    "scenario_hash", "verify_store",
]
