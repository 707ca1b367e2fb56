"""The embedded run store (DuckDB + Parquet): every run, forecast, what-if, sweep and calibration."""

from .runstore import STORE_ENV, Item, RunStore, StoreError, code_version, default_store_path, scenario_hash

__all__ = ["STORE_ENV", "Item", "RunStore", "StoreError", "code_version", "default_store_path", "scenario_hash"]
