from django.urls import path

from summaries import views

app_name = "summaries"
urlpatterns = [
    path("districts/<str:district_code>/summaries/", views.county_home, name="county_home"),
    path("districts/<str:district_code>/summaries/<int:year>/", views.county_page, name="county"),
    path(
        "districts/<str:district_code>/summaries/<int:year>/download.<str:fmt>",
        views.county_file,
        name="county_file",
    ),
    path("schools/<str:code>/summaries/<int:year>/", views.school_page, name="school"),
    path("schools/<str:code>/summaries/<int:year>/download.<str:fmt>", views.school_file, name="school_file"),
]
