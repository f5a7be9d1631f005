"""Partnership administration: a partnership administrator's own pages (under /administration/) for
the agencies, teams, people and service accounts of their partnership. Panels' terms and membership
are in panels/, escalation authorisers in pathways/ (the ladder of imports points down)."""
