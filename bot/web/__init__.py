"""Server-rendered web pages: the staff back office, the citizen portal, the KPI dashboard."""
