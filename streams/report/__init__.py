"""The leadership briefing: figures from the analysts' read side, charts, one self-contained HTML file, a PDF."""
