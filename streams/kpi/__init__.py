"""Targets, the seasonal plan curve, and pace and projection figures. Pure: no I/O beyond reading files."""
