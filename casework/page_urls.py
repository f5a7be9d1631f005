"""Pages for children, under /children/."""

from django.urls import path

from casework import cetr_views, views

app_name = "children"

urlpatterns = [
    path("", views.child_list, name="list"),
    path("new/", views.child_register, name="register"),
    path("access-requests/", views.access_request_list, name="access_requests"),
    path("access-requests/new/", views.access_request_new, name="access_request_new"),
    path("access-requests/sent/", views.access_request_sent, name="access_request_sent"),
    path("access-requests/<str:request_pk>/", views.access_request_decide, name="access_request_decide"),
    path("<str:pk>/", views.child_detail, name="detail"),
    path("<str:pk>/edit/", views.child_edit, name="edit"),
    path("<str:pk>/parents-carers/new/", views.parent_carer_add, name="parent_carer_add"),
    path("<str:pk>/parents-carers/<str:person_pk>/", views.parent_carer_edit, name="parent_carer_edit"),
    path(
        "<str:pk>/parents-carers/<str:person_pk>/remove/",
        views.parent_carer_remove,
        name="parent_carer_remove",
    ),
    path("<str:pk>/cetr/new/", cetr_views.cetr_record_page, name="cetr_record"),
    path("<str:pk>/cetr/override/", cetr_views.cetr_override_page, name="cetr_override"),
    path("<str:pk>/cetr/<str:record_pk>/report/", cetr_views.cetr_report_download, name="cetr_report"),
    path("<str:pk>/agencies/new/", views.involvement_add, name="involvement_add"),
    path("<str:pk>/agencies/<str:involvement_pk>/end/", views.involvement_end, name="involvement_end"),
]
