"""The reports' pages and downloads, under /reports/ (config/urls.py)."""

from reporting import attendance_pages, decision_times_pages, exports, views

app_name = "reporting"

urlpatterns = [
    *views.urlpatterns,
    *exports.urlpatterns,
    *decision_times_pages.urlpatterns,
    *attendance_pages.urlpatterns,
]
