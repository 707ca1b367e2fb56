"""Experiments: what-ifs with common random numbers, sensitivity, discovery, sweeps."""
