"""Pages for referrals, under /referrals/."""

from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.my_referrals, name="mine"),
    path("awaiting-sign-off/", views.awaiting_sign_off, name="awaiting"),
    path("all/", views.all_referrals, name="all"),
    path("meetings/<str:meeting_pk>/", views.meeting_referrals, name="meeting"),
    path("children/<str:child_pk>/new/", views.referral_start, name="start"),
    path("<str:pk>/", views.referral_detail, name="detail"),
    path("<str:pk>/tasks/", views.referral_tasks, name="tasks"),
    path("<str:pk>/details/", views.referral_details, name="details"),
    path("<str:pk>/sections/<str:section>/", views.referral_section, name="section"),
    path("<str:pk>/options/", views.option_list, name="options"),
    path("<str:pk>/options/new/", views.option_edit, name="option_add"),
    path("<str:pk>/options/<str:option_pk>/", views.option_edit, name="option_edit"),
    path("<str:pk>/options/<str:option_pk>/remove/", views.option_remove, name="option_remove"),
    path("<str:pk>/options/<str:option_pk>/recommend/", views.option_recommend, name="option_recommend"),
    path("<str:pk>/evidence/", views.evidence_list, name="evidence"),
    path("<str:pk>/evidence/<str:evidence_pk>/", views.evidence_download, name="evidence_download"),
    path("<str:pk>/evidence/<str:evidence_pk>/remove/", views.evidence_remove, name="evidence_remove"),
    path("<str:pk>/send/", views.referral_send, name="send"),
    path("<str:pk>/sign/", views.referral_sign, name="sign"),
    path("<str:pk>/submit/", views.referral_submit, name="submit"),
    path("<str:pk>/late-paper/", views.referral_accept_late, name="accept_late"),
    path("<str:pk>/move/", views.referral_move, name="move"),
    path("<str:pk>/withdraw/", views.referral_withdraw, name="withdraw"),
    path("<str:pk>/close/", views.referral_close, name="close"),
]
