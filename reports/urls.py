from django.urls import path

from . import views, views_export, views_report

app_name = "reports"

# Included under p/<public_id>/ (config/urls.py patient_patterns): every view is patient-scoped.
urlpatterns = [
    path("trends/", views.trends_page, name="trends"),
    # The doctor's report (reports/views_report.py).
    path("report/", views_report.report, name="report"),
    path("report/pdf/", views_report.report_pdf, name="report-pdf"),
    path("report/pdf/<uuid:pk>/", views_report.report_pdf_status, name="report-pdf-status"),
    path(
        "report/pdf/<uuid:pk>/download/",
        views_report.report_pdf_download,
        name="report-pdf-download",
    ),
    path("report/questions/<int:pk>/answer/", views_report.report_answer, name="report-answer"),
    # Exports and the import of a full export (reports/views_export.py).
    path("export/", views_export.export_page, name="export"),
    path("export/jobs/", views_export.export_request, name="export-request"),
    path("export/<uuid:pk>/", views_export.export_status, name="export-status"),
    path("export/<uuid:pk>/download/", views_export.export_download, name="export-download"),
    path("export/import/", views_export.import_diary, name="export-import"),
]
