"""Project URLs: people's pages, the REST API and its docs, and the operator's admin if configured."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from casework import access_review_views, account_views, mfa_views, my_work_pages, my_work_team, views
from casework.forms import SignInForm
from config import api_docs
from panels.views import my_work_panels

urlpatterns = [
    path("", views.home, name="home"),
    path("my-work/", views.home, name="my_work"),
    path("my-work/team/", my_work_team.team_work, name="my_work_team"),
    path("my-work/team/access-review/", access_review_views.review_list, name="my_work_team_access_review"),
    path("my-work/team/<str:pk>/access/", access_review_views.review_person, name="my_work_team_access"),
    path("my-work/team/<str:pk>/", my_work_team.team_person_work, name="my_work_team_person"),
    path("my-work/team/<str:pk>/give/", my_work_team.team_reassign, name="my_work_team_give"),
    path("my-work/panels/", my_work_panels.panel_meetings, name="my_work_panels"),
    path("my-work/all/<slug:group>/", my_work_pages.group_page, name="my_work_group"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    # The second step of signing in, and setting a password from an e-mailed link (reset or
    # invitation): under /sign-in/, so they are open before signing in is finished.
    path("sign-in/code/", mfa_views.mfa_verify, name="mfa_verify"),
    path("sign-in/forgotten-password/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "sign-in/forgotten-password/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "sign-in/set-password/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "sign-in/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("account/", account_views.account, name="account"),
    path("account/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/two-step-verification/", mfa_views.mfa_overview, name="mfa_overview"),
    path("account/two-step-verification/set-up/", mfa_views.mfa_setup, name="mfa_setup"),
    path(
        "account/two-step-verification/recovery-codes/",
        mfa_views.mfa_recovery_codes,
        name="mfa_recovery_codes",
    ),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_read"),
    path("healthz", views.healthz, name="healthz"),
    path("children/", include("casework.page_urls")),
    path("referrals/", include("referrals.urls")),
    path("panels/", include("panels.urls")),
    path("funding/", include("funding.urls")),
    path("pathways/", include("pathways.urls")),
    path("reports/", include("reporting.urls")),
    path("moving-in/", include("moving_in.urls")),
    path("administration/", include("casework.administration.urls")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs.api_docs, name="api-docs"),
    path("account/api-tokens/", account_views.api_token_list, name="api_tokens"),
    path("account/api-tokens/new/", account_views.api_token_new, name="api_token_new"),
    path("account/api-tokens/<str:pk>/revoke/", account_views.api_token_revoke, name="api_token_revoke"),
]

# The platform operator's Django admin, only at a secret path of the operator's choosing.
if settings.DJANGO_ADMIN_PATH:
    urlpatterns.append(path(f"{settings.DJANGO_ADMIN_PATH}/", admin.site.urls))

handler404 = "casework.views.not_found"
