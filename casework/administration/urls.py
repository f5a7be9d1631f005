"""The partnership administrator's pages, under /administration/ (config/urls.py)."""

from django.urls import path

from casework.administration import views

app_name = "administration"

urlpatterns = [
    path("", views.index, name="index"),
    path("agencies/", views.agency_list, name="agencies"),
    path("agencies/new/", views.agency_new, name="agency_new"),
    path("agencies/<str:pk>/", views.agency_detail, name="agency"),
    path("agencies/<str:pk>/edit/", views.agency_edit, name="agency_edit"),
    path("agencies/<str:pk>/teams/new/", views.team_new, name="team_new"),
    path("teams/<str:pk>/rename/", views.team_rename, name="team_rename"),
    path("people/", views.people_list, name="people"),
    path("people/invite/", views.person_invite, name="person_invite"),
    path("people/<str:pk>/", views.person_detail, name="person"),
    path("people/<str:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<str:pk>/move/", views.person_move, name="person_move"),
    path("people/<str:pk>/close/", views.person_deactivate, name="person_deactivate"),
    path("people/<str:pk>/authenticator/reset/", views.authenticator_reset, name="authenticator_reset"),
    path("people/<str:pk>/reopen/", views.person_reactivate, name="person_reactivate"),
    path("people/<str:pk>/invitation/", views.invitation_resend, name="invitation_resend"),
    path("people/<str:pk>/tokens/new/", views.token_new, name="token_new"),
    path("people/<str:pk>/tokens/<str:token_pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("service-accounts/", views.service_account_list, name="service_accounts"),
    path("service-accounts/new/", views.service_account_new, name="service_account_new"),
    path("background-work/", views.background_work, name="background_work"),
    path("background-work/<str:pk>/retry/", views.background_job_retry, name="background_job_retry"),
]
