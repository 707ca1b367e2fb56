"""The engine: state arrays, mechanisms, the monthly loop, event log."""
