from django.urls import path

from plans import views, views_school

app_name = "plans"
urlpatterns = [
    path("my-school/", views_school.my_school, name="my_school"),
    path("schools/<str:code>/standing/", views_school.school_standing_page, name="school_standing"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/review/", views.plan_review, name="plan_review"),
    path("plans/<int:pk>/revise/", views.plan_revise, name="plan_revise"),
    path("plans/<int:pk>/progress/<int:year>/", views.progress_page, name="progress"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
    path("districts/<str:district_code>/progress/<int:year>/", views.progress_overview, name="progress_overview"),
    path("districts/<str:district_code>/county-plan/", views.county_plan, name="county_plan"),
    path("notifications/", views.notifications, name="notifications"),
]
