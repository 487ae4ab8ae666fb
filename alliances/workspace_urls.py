from django.contrib.auth.views import LogoutView
from django.urls import path

from . import workspace as views
from . import workspace_evaluation as evaluation
from . import workspace_feedback as feedback_views
from . import workspace_selfservice as selfservice

app_name = "workspace"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("", views.HomeView.as_view(), name="home"),
    path("overview/", views.OverviewView.as_view(), name="overview"),
    path("overview.xlsx", views.OverviewExcelView.as_view(), name="overview_xlsx"),
    path("review/", views.ReviewQueueView.as_view(), name="review"),
    path("review/published/", views.PublishedListView.as_view(), name="review_published"),
    path("review/<int:pk>/approve/", views.ApproveView.as_view(), name="review_approve"),
    path("review/<int:pk>/send-back/", views.SendBackView.as_view(), name="review_send_back"),
    path("review/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="review_withdraw"),
    path("<slug:slug>/", views.AllianceHomeView.as_view(), name="alliance"),
    path("<slug:slug>/meetings/new/", views.MeetingFormView.as_view(), name="meeting_new"),
    path("<slug:slug>/meetings/<int:pk>/", views.MeetingFormView.as_view(), name="meeting_edit"),
    path(
        "<slug:slug>/meetings/<int:pk>/public/",
        views.MeetingProposeView.as_view(),
        name="meeting_propose",
    ),
    path(
        "<slug:slug>/meetings/<int:pk>/delete/",
        views.MeetingDeleteView.as_view(),
        name="meeting_delete",
    ),
    path("<slug:slug>/activities/new/", views.ActivityFormView.as_view(), name="activity_new"),
    path(
        "<slug:slug>/activities/<int:pk>/", views.ActivityFormView.as_view(), name="activity_edit"
    ),
    path(
        "<slug:slug>/activities/<int:pk>/public/",
        views.ActivityProposeView.as_view(),
        name="activity_propose",
    ),
    path(
        "<slug:slug>/activities/<int:pk>/delete/",
        views.ActivityDeleteView.as_view(),
        name="activity_delete",
    ),
    path(
        "<slug:slug>/photos/<int:pk>/delete/", views.PhotoDeleteView.as_view(), name="photo_delete"
    ),
    path("<slug:slug>/plan/<int:year>/", views.PlanView.as_view(), name="plan"),
    path("<slug:slug>/reports/<int:year>/<slug:phase>/", views.ReportView.as_view(), name="report"),
    path("<slug:slug>/ledger/<int:year>/", views.LedgerView.as_view(), name="ledger"),
    path("<slug:slug>/ledger/<int:year>.xlsx", views.LedgerExcelView.as_view(), name="ledger_xlsx"),
    # Feedback on plans and reports, reference list, showcase (issue 16). Two segments under
    # "feedback/", so no alliance page above (``<slug:slug>/...``) shadows them.
    path(
        "feedback/documents/",
        feedback_views.DocumentQueueView.as_view(),
        name="feedback_documents",
    ),
    path(
        "feedback/documents/<slug:kind>/<int:pk>/",
        feedback_views.DocumentView.as_view(),
        name="feedback_document",
    ),
    path(
        "feedback/documents/<slug:kind>/<int:pk>/read/",
        feedback_views.DocumentReadView.as_view(),
        name="feedback_document_read",
    ),
    path(
        "feedback/documents/<slug:kind>/<int:pk>/return/",
        feedback_views.DocumentReturnView.as_view(),
        name="feedback_document_return",
    ),
    path(
        "feedback/reference/",
        feedback_views.ReferenceListView.as_view(),
        name="feedback_reference",
    ),
    path(
        "feedback/reference/<int:pk>/",
        feedback_views.ReferenceEditView.as_view(),
        name="feedback_reference_edit",
    ),
    path("feedback/showcase/", feedback_views.ShowcaseListView.as_view(), name="feedback_showcase"),
    path(
        "feedback/showcase/<int:pk>/add/",
        feedback_views.ShowcaseAddView.as_view(),
        name="feedback_showcase_add",
    ),
    path(
        "feedback/showcase/<int:pk>/remove/",
        feedback_views.ShowcaseRemoveView.as_view(),
        name="feedback_showcase_remove",
    ),
    # 评先评优 (issue 16, annual evaluation)
    path("evaluation/<int:year>/", evaluation.RankingView.as_view(), name="evaluation"),
    path(
        "evaluation/<int:year>.xlsx", evaluation.RankingExcelView.as_view(), name="evaluation_xlsx"
    ),
    path(
        "evaluation/<int:year>/criteria/",
        evaluation.CriteriaView.as_view(),
        name="evaluation_criteria",
    ),
    path(
        "evaluation/<int:year>/notice/", evaluation.NoticeView.as_view(), name="evaluation_notice"
    ),
    path(
        "evaluation/<int:year>/<slug:slug>/adjust/",
        evaluation.AdjustView.as_view(),
        name="evaluation_adjust",
    ),
    # Self-service (issue 16): rooms, applications to join, proposals to found an alliance.
    # The committee's pages live under "review/", a name no alliance may take.
    path(
        "review/applications/", selfservice.ApplicationQueueView.as_view(), name="application_queue"
    ),
    path(
        "review/applications/<int:pk>/approve/",
        selfservice.ApplicationApproveView.as_view(),
        name="application_approve",
    ),
    path(
        "review/applications/<int:pk>/refuse/",
        selfservice.ApplicationRefuseView.as_view(),
        name="application_refuse",
    ),
    path("review/foundings/new/", selfservice.FoundingNewView.as_view(), name="founding_new"),
    path(
        "review/foundings/<int:pk>/approve/",
        selfservice.FoundingApproveView.as_view(),
        name="founding_approve",
    ),
    path(
        "review/foundings/<int:pk>/refuse/",
        selfservice.FoundingRefuseView.as_view(),
        name="founding_refuse",
    ),
    path("<slug:slug>/rooms/", selfservice.RoomListView.as_view(), name="rooms"),
    path("<slug:slug>/rooms/<int:pk>/", selfservice.RoomWeekView.as_view(), name="room_week"),
    path(
        "<slug:slug>/bookings/<int:pk>/cancel/",
        selfservice.BookingCancelView.as_view(),
        name="booking_cancel",
    ),
    path("<slug:slug>/applications/", selfservice.ApplicationView.as_view(), name="applications"),
]
