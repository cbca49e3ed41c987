from django.urls import path

from schools import views

app_name = "schools"
urlpatterns = [
    path("districts/", views.district_list, name="district_list"),
    path("districts/<str:district_code>/schools/", views.school_list, name="school_list"),
    path("districts/<str:district_code>/schools/new/", views.school_create, name="school_create"),
    path("schools/<str:code>/", views.school_detail, name="school_detail"),
    path("schools/<str:code>/edit/", views.school_edit, name="school_edit"),
    path("schools/<str:code>/statistics/<int:year>/edit/", views.statistics_edit, name="statistics_edit"),
    path(
        "schools/<str:code>/statistics/<int:year>/<str:action>/",
        views.statistics_action,
        name="statistics_action",
    ),
]
