"""REST API routes of the schemes app, registered on the project's router."""


def register(router) -> None:
    """Add this app's viewsets to `router` (config/api_urls.py)."""
