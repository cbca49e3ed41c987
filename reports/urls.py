from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("districts/<str:district_code>/reports/", views.district_reports, name="district_reports"),
    path("schools/<str:school_code>/reports/", views.school_reports, name="school_reports"),
    path("reports/jobs/<int:pk>/status/", views.job_status, name="job_status"),
    path("reports/jobs/<int:pk>/download/", views.job_download, name="job_download"),
]
