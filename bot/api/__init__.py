"""The HTTP API of the service (FastAPI routers, one per resource)."""
