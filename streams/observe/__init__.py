"""Prometheus metrics: the KPI collector (values computed from DuckDB) and pipeline health."""
