"""Pages for funding, under /funding/."""

app_name = "funding"

urlpatterns: list = []
