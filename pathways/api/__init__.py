"""The pathways REST API: pathway cases (cases.py) and the escalation ladder (escalations.py),
gathered in pathways/api/urls.py and mounted under /api/ by config/api_urls.py."""
