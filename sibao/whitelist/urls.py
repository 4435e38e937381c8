from django.urls import path

from sibao.whitelist import views

app_name = "whitelist"
urlpatterns = [
    path("", views.EntryListView.as_view(), name="list"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/renew/", views.entry_renew, name="entry_renew"),
    path("entries/<int:pk>/clear-review/", views.entry_review_clear, name="entry_review_clear"),
    path("entries/<int:pk>/propose/", views.joint_propose, name="joint_propose"),
    path("enterprises/<int:pk>/", views.enterprise_page, name="enterprise"),
    path("enterprises/<int:pk>/apply/", views.application_apply, name="apply"),
    path("enterprises/<int:pk>/admit/", views.entry_admit, name="admit"),
    path("enterprises/<int:pk>/spot-checks/", views.spot_check_record, name="spot_check_record"),
    path("queue/", views.ReviewQueueView.as_view(), name="queue"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/review/", views.application_review, name="application_review"),
    path("applications/<int:pk>/resubmit/", views.application_resubmit, name="application_resubmit"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("criteria/", views.CriteriaListView.as_view(), name="criteria_list"),
    path("criteria/new/", views.criteria_create, name="criteria_create"),
    path("criteria/<int:pk>/", views.criteria_detail, name="criteria_detail"),
    path("criteria/<int:pk>/criteria/", views.criterion_add, name="criterion_add"),
    path("criteria/<int:pk>/criteria/<int:criterion_pk>/delete/", views.criterion_remove, name="criterion_remove"),
    path("criteria/<int:pk>/publish/", views.criteria_publish, name="criteria_publish"),
    path("breaker/", views.BreakerCaseListView.as_view(), name="breaker_list"),
    path("breaker/<int:pk>/rectified/", views.breaker_rectified, name="breaker_rectified"),
    path("decisions/", views.JointDecisionListView.as_view(), name="decision_list"),
    path("decisions/<int:pk>/approve/", views.decision_approve, name="decision_approve"),
    path("decisions/<int:pk>/reject/", views.decision_reject, name="decision_reject"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("coverage/gap/", views.coverage_gap, name="coverage_gap"),
]

# Mounted at public/whitelist/ (sibao/urls.py): open to everybody, no sign-in.
public_urlpatterns = [
    path("", views.public_whitelist, name="public_whitelist"),
]
