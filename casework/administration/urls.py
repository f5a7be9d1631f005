"""The partnership administrator's pages, under /administration/ (config/urls.py)."""

from django.urls import path

from casework.administration.views import (
    access_reviews,
    agencies,
    background,
    common,
    people,
    service_accounts,
)

app_name = "administration"

urlpatterns = [
    path("", common.index, name="index"),
    path("agencies/", agencies.agency_list, name="agencies"),
    path("agencies/new/", agencies.agency_new, name="agency_new"),
    path("agencies/<str:pk>/", agencies.agency_detail, name="agency"),
    path("agencies/<str:pk>/edit/", agencies.agency_edit, name="agency_edit"),
    path("agencies/<str:pk>/teams/new/", agencies.team_new, name="team_new"),
    path("teams/<str:pk>/rename/", agencies.team_rename, name="team_rename"),
    path("people/", people.people_list, name="people"),
    path("people/invite/", people.person_invite, name="person_invite"),
    path("people/<str:pk>/", people.person_detail, name="person"),
    path("people/<str:pk>/edit/", people.person_edit, name="person_edit"),
    path("people/<str:pk>/move/", people.person_move, name="person_move"),
    path("people/<str:pk>/close/", people.person_deactivate, name="person_deactivate"),
    path("people/<str:pk>/authenticator/reset/", people.authenticator_reset, name="authenticator_reset"),
    path("people/<str:pk>/reopen/", people.person_reactivate, name="person_reactivate"),
    path("people/<str:pk>/invitation/", people.invitation_resend, name="invitation_resend"),
    path("people/<str:pk>/tokens/new/", service_accounts.token_new, name="token_new"),
    path("people/<str:pk>/tokens/<str:token_pk>/revoke/", service_accounts.token_revoke, name="token_revoke"),
    path("service-accounts/", service_accounts.service_account_list, name="service_accounts"),
    path("service-accounts/new/", service_accounts.service_account_new, name="service_account_new"),
    path("access-reviews/", access_reviews.access_review_progress, name="access_reviews"),
    path("background-work/", background.background_work, name="background_work"),
    path("background-work/<str:pk>/retry/", background.background_job_retry, name="background_job_retry"),
]
