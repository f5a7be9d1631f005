"""Pages for funding, under /funding/."""

from django.urls import path

from funding import views

app_name = "funding"

urlpatterns = [
    path("", views.package_list, name="list"),
    path("children/<str:child_pk>/new/", views.package_new, name="new"),
    path("approvals/", views.tray, name="tray"),
    path("commitments/", views.commitments, name="commitments"),
    path("commitments/export.csv", views.export_csv, name="export_csv"),
    path("commitments/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("packages/<str:pk>/", views.package_detail, name="detail"),
    path("packages/<str:pk>/change/", views.package_vary, name="vary"),
    path("packages/<str:pk>/end/", views.package_end, name="end"),
    path("packages/<str:pk>/cetr/", views.package_cetr, name="cetr"),
    path("packages/<str:pk>/compare/", views.versions_compare, name="compare"),
    path("shares/<str:pk>/approve/", views.share_approve, name="approve"),
    path("shares/<str:pk>/query/", views.share_query, name="query"),
    path("shares/<str:pk>/dispute/", views.share_dispute, name="dispute"),
    path("shares/<str:pk>/answer/", views.share_answer, name="answer"),
]
