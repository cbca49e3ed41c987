from django.urls import path

from planner import views

app_name = "planner"
urlpatterns = [
    path("districts/<str:district_code>/planner/", views.planner_page, name="planner_page"),
    path("districts/<str:district_code>/planner/plan.xlsx", views.planner_export, name="planner_export"),
    path("districts/<str:district_code>/planner/costs/", views.unit_costs_page, name="unit_costs"),
]
