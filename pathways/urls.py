"""Pages for pathway cases, under /pathways/."""

from django.urls import path

from pathways.views import authorisers, escalations
from pathways.views import cases as views

app_name = "pathways"

urlpatterns = [
    path("children/<str:child_pk>/", views.child_cases, name="child_cases"),
    path("children/<str:child_pk>/start/<str:kind>/", views.case_start, name="start"),
    path("cases/<str:pk>/", views.case_detail, name="case"),
    path("cases/<str:pk>/checklist/", views.cc_checklist, name="cc_checklist"),
    path("cases/<str:pk>/evidence/", views.cc_evidence, name="cc_evidence"),
    path("cases/<str:pk>/dst/", views.cc_dst, name="cc_dst"),
    path("cases/<str:pk>/recommendation/", views.cc_recommend, name="cc_recommend"),
    path("cases/<str:pk>/decision/", views.cc_decision, name="cc_decision"),
    path("cases/<str:pk>/package/", views.cc_package, name="cc_package"),
    path("cases/<str:pk>/transition/", views.cc_transition, name="cc_transition"),
    path("cases/<str:pk>/reviews/new/", views.review_add, name="review_add"),
    path("cases/<str:pk>/close/", views.case_close, name="close"),
    path("cases/<str:pk>/aftercare-plan/", views.s117_plan, name="s117_plan"),
    path("cases/<str:pk>/end-aftercare/", views.s117_end, name="s117_end"),
    path("cases/<str:pk>/mdt/new/", views.mdt_add, name="mdt_add"),
    path("cases/<str:pk>/ifr-decision/", views.ifr_decision, name="ifr_decision"),
    path("cases/<str:pk>/ifr-information/", views.ifr_information, name="ifr_information"),
    path("cases/<str:pk>/ifr-appeal/", views.ifr_appeal, name="ifr_appeal"),
    # The escalation ladder (seeds 002).
    *escalations.urlpatterns,
    # The partnership administrator's escalation authorisers and settings.
    *authorisers.urlpatterns,
]
