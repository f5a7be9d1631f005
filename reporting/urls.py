"""The reports' pages and downloads, under /reports/ (config/urls.py)."""

from reporting import exports, views

app_name = "reporting"

urlpatterns = [*views.urlpatterns, *exports.urlpatterns]
