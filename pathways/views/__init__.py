"""Pages for pathways, under /pathways/: pathway cases (cases.py), the escalation ladder
(escalations.py) and the partnership administrator's escalation authorisers and settings
(authorisers.py). The last two keep their own urlpatterns, added by pathways/urls.py."""
