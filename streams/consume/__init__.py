"""Kafka -> batches -> decode -> DuckDB with offsets -> metrics; rebalance handling."""
