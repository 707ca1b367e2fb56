"""Reports: tables, charts, chronicles, sources."""
