"""The import pages, under /moving-in/ (config/urls.py)."""

from django.urls import path

from moving_in import views

app_name = "moving_in"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("batches/<str:pk>/", views.batch_detail, name="batch"),
    path("batches/<str:pk>/sheet/", views.sheet, name="sheet"),
    path("batches/<str:pk>/columns/", views.columns, name="columns"),
    path("batches/<str:pk>/decisions/", views.decide, name="decide"),
    path("batches/<str:pk>/confirm/", views.confirm, name="confirm"),
    path("batches/<str:pk>/retry/", views.retry, name="retry"),
    path("batches/<str:pk>/undo/", views.undo, name="undo"),
]
