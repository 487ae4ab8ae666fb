from django.urls import path

from . import rooms, views

app_name = "alliances"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("activities/", views.ActivityListView.as_view(), name="activities"),
    path("activities/<int:pk>/", views.ActivityView.as_view(), name="activity"),
    path("meetings/<int:pk>/", views.MeetingView.as_view(), name="meeting"),
    path("<slug:slug>/", views.alliance_detail, name="detail"),
    # Self-service (issue 16): a shared room's public week.
    path("rooms/<int:pk>/", rooms.RoomScheduleView.as_view(), name="room"),
]
