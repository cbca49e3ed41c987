from django.urls import path

from city import views

app_name = "city"
urlpatterns = [
    path("city/", views.overview_page, name="overview"),
    path("city/overview.xlsx", views.overview_xlsx, name="overview_xlsx"),
    path("city/overview.pdf", views.overview_pdf, name="overview_pdf"),
    path("city/districts/<str:district_code>/", views.district_page, name="district"),
]
