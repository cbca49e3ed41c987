from django.urls import path

from schools import views, views_exchange

app_name = "schools"
urlpatterns = [
    # Data exchange (issue #7): templates, exports, browser imports, a new school year.
    path("districts/<str:district_code>/exchange/", views_exchange.exchange_home, name="exchange_home"),
    path(
        "districts/<str:district_code>/exchange/template/", views_exchange.template_download, name="template_download"
    ),
    path("districts/<str:district_code>/exchange/export/", views_exchange.export_download, name="export_download"),
    path("districts/<str:district_code>/exchange/upload/", views_exchange.import_upload, name="import_upload"),
    path("districts/<str:district_code>/exchange/year-start/", views_exchange.year_start, name="year_start"),
    path("imports/<int:pk>/", views_exchange.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", views_exchange.import_status, name="import_status"),
    path("imports/<int:pk>/confirm/", views_exchange.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/cancel/", views_exchange.import_cancel, name="import_cancel"),
    path("imports/<int:pk>/errors/", views_exchange.import_errors_download, name="import_errors"),
    path("imports/<int:pk>/file/", views_exchange.import_file_download, name="import_file"),
    path("schools/<str:code>/workbook/<int:year>/", views_exchange.school_workbook_download, name="school_workbook"),
    path("schools/<str:code>/confirm/<int:year>/", views_exchange.statistics_confirm, name="statistics_confirm"),
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
