from django.urls import path

from indicators import views

app_name = "indicators"
urlpatterns = [
    path("districts/<str:district_code>/balance/", views.balance_home, name="balance_home"),
    path(
        "districts/<str:district_code>/balance/<int:year>/recompute/",
        views.balance_recompute_view,
        name="balance_recompute",
    ),
    # After "recompute/": a profile slug would otherwise swallow that URL.
    path("districts/<str:district_code>/balance/<int:year>/<slug:profile>/", views.balance_page, name="balance_page"),
    path("profiles/", views.profile_list, name="profile_list"),
    path("profiles/new/", views.profile_create, name="profile_create"),
    path("profiles/<slug:name>/edit/", views.profile_edit, name="profile_edit"),
    path("districts/<str:district_code>/profiles/", views.district_profiles, name="district_profiles"),
]
