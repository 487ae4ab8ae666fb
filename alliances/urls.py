from django.urls import path

from . import views

app_name = "alliances"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("activities/", views.ActivityListView.as_view(), name="activities"),
    path("activities/<int:pk>/", views.ActivityView.as_view(), name="activity"),
    path("meetings/<int:pk>/", views.MeetingView.as_view(), name="meeting"),
    path("<slug:slug>/", views.alliance_detail, name="detail"),
]
