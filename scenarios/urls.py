from django.urls import path

from scenarios import views

app_name = "scenarios"
urlpatterns = [
    path("districts/<str:district_code>/scenarios/", views.scenario_list, name="list"),
    path("scenarios/<int:pk>/", views.scenario_detail, name="detail"),
    path("scenarios/<int:pk>/delete/", views.scenario_delete_view, name="delete"),
]
