"""Pages for pathway cases and escalations, under /pathways/."""

app_name = "pathways"

urlpatterns: list = []
