"""The pathways REST API, mounted under /api/ by casework/api_urls.py."""

urlpatterns: list = []
