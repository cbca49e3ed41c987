from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("schools/<str:code>/history/", views.school_history, name="school_history"),
    path("districts/<str:district_code>/history/", views.district_history, name="district_history"),
]
