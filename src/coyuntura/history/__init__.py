"""History: the source's account as checkable patterns (and, later, observed timelines and scores)."""
