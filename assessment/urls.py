from django.urls import path

from assessment import views
from assessment.problems import views as problem_views
from assessment.survey import views as survey_views

app_name = "assessment"
urlpatterns = [
    path("districts/<str:district_code>/assessment/", views.assessment_home, name="home"),
    path(
        "districts/<str:district_code>/assessment/<int:year>/<slug:profile>/",
        views.overview,
        name="overview",
    ),
    path(
        "districts/<str:district_code>/assessment/<int:year>/<slug:profile>/items/",
        views.checklist_page,
        name="checklist",
    ),
    path(
        "districts/<str:district_code>/assessment/<int:year>/<slug:profile>/items/<str:key>/",
        views.entry_edit,
        name="entry",
    ),
    path("assessment/evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("checklists/<slug:profile>/edit/", views.checklist_edit, name="checklist_edit"),
    path("districts/<str:district_code>/survey/<int:year>/", survey_views.survey_page, name="survey"),
    path("districts/<str:district_code>/survey/<int:year>/live/", survey_views.survey_live, name="survey_live"),
    path("districts/<str:district_code>/survey/<int:year>/links/", survey_views.survey_links, name="survey_links"),
    path("districts/<str:district_code>/problems/", problem_views.problem_list, name="problems"),
    path(
        "districts/<str:district_code>/problems/sync/<int:year>/",
        problem_views.problems_sync_view,
        name="problems_sync",
    ),
    path("problems/<int:pk>/", problem_views.problem_detail, name="problem"),
    # Public questionnaire pages: no account, a link token in the URL.
    path("s/<str:token>/", survey_views.survey_public, name="survey_public"),
    path("s/<str:token>/thanks/", survey_views.survey_thanks, name="survey_thanks"),
    path("s/<str:token>/qr.svg", survey_views.survey_qr, name="survey_qr"),
]
