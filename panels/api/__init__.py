"""The panels REST API, one module per part of a panel's work; each has its own urlpatterns,
gathered in panels/api/urls.py and mounted under /api/ by config/api_urls.py."""
