"""Targets and the seasonal plan curve, loaded for the SQL that computes pace and projection (sql/views).

Pure: no I/O beyond reading files."""
