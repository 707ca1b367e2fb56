"""Scenario format: typed schema, YAML loading with line-aware errors, checks."""
