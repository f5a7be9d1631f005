"""Project URLs: people's pages, the REST API and its docs, and the operator's admin if configured."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from casework import account_views, api_docs, views
from casework.forms import SignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_read"),
    path("healthz", views.healthz, name="healthz"),
    path("children/", include("casework.page_urls")),
    path("referrals/", include("referrals.urls")),
    path("panels/", include("panels.urls")),
    path("funding/", include("funding.urls")),
    path("pathways/", include("pathways.urls")),
    path("administration/", include("casework.administration.urls")),
    path("api/", include("casework.api_urls")),
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
