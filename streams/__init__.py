"""customs-kpi: a streaming KPI monitor for customs revenue, declarations and seizures."""

__version__ = "0.1.0"
