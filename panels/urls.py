"""Pages for panels and their meetings, under /panels/. Each part of a panel's work keeps its own
routes in panels/views/<part>.py; they come before the panel pages, whose "<pk>/" would otherwise
take words such as "tracker"."""

from django.urls import path

from panels.views import actions, agenda, attendance, letters, minutes, packs, running
from panels.views import meetings as views

app_name = "panels"

urlpatterns = [
    *agenda.urlpatterns,
    *running.urlpatterns,
    *attendance.urlpatterns,
    *minutes.urlpatterns,
    *letters.urlpatterns,
    *actions.urlpatterns,
    *packs.urlpatterns,
    path("", views.panel_list, name="list"),
    path("new/", views.panel_new, name="new"),
    # Meetings first: "meetings" is not a panel id.
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<str:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<str:pk>/calendar.ics", views.meeting_calendar, name="meeting_calendar"),
    path("meetings/<str:pk>/move/", views.meeting_move, name="meeting_move"),
    path("meetings/<str:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<str:pk>/", views.panel_detail, name="detail"),
    path("<str:pk>/settings/", views.panel_settings, name="settings"),
    path("<str:pk>/members/new/", views.member_add, name="member_add"),
    path("<str:pk>/members/<str:membership_pk>/end/", views.member_end, name="member_end"),
    path("<str:pk>/closure-days/new/", views.closure_day_add, name="closure_day_add"),
    path(
        "<str:pk>/closure-days/<str:closure_pk>/remove/", views.closure_day_remove, name="closure_day_remove"
    ),
    path("<str:pk>/meetings/generate/", views.meetings_generate, name="meetings_generate"),
    path("<str:pk>/meetings/new/", views.meeting_schedule, name="meeting_schedule"),
]
