"""Pages for panels, one module per part of a panel's work; each module has its own urlpatterns."""
