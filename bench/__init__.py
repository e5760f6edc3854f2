"""Benchmarks: scripts run as `python bench/<name>.py`, each printing one JSON line last."""
