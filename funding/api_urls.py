"""The funding REST API, mounted under /api/ by config/api_urls.py."""

from django.urls import path

from funding import api

urlpatterns: list = [
    path("funding/packages/", api.packages, name="api-funding-packages"),
    path("funding/packages/<str:pk>/", api.package_detail, name="api-funding-package"),
    path("funding/packages/<str:pk>/vary/", api.package_vary, name="api-funding-package-vary"),
    path("funding/packages/<str:pk>/end/", api.package_end, name="api-funding-package-end"),
    path("funding/shares/<str:pk>/approve/", api.share_approve, name="api-funding-share-approve"),
    path("funding/shares/<str:pk>/query/", api.share_query, name="api-funding-share-query"),
    path("funding/shares/<str:pk>/dispute/", api.share_dispute, name="api-funding-share-dispute"),
    path("funding/shares/<str:pk>/answer/", api.share_answer, name="api-funding-share-answer"),
    path("funding/approvals/", api.approvals, name="api-funding-approvals"),
    path("funding/commitments/", api.commitments, name="api-funding-commitments"),
]
