"""The pathways REST API, mounted under /api/ by config/api_urls.py."""

from django.urls import re_path

from casework.api_kit import ANY_ID
from pathways.api import cases as api
from pathways.api import escalations

# One route per kind of case and per step, so each documents its own body; any other name answers
# the same JSON 404 as a missing record.
urlpatterns = [
    re_path(
        rf"^children/(?P<child_pk>{ANY_ID})/pathway-cases/$",
        api.ChildCasesView.as_view(),
        name="api-pathway-child-cases",
    ),
    *(
        re_path(
            rf"^children/(?P<child_pk>{ANY_ID})/pathway-cases/{kind}/$",
            api.CaseStartView.as_view(
                kind=kind,
                operation_summary=api.KIND_DOCS[kind][0],
                operation_description=api.KIND_DOCS[kind][1],
            ),
            name=f"api-pathway-case-start-{kind}",
        )
        for kind in api.OPENERS
    ),
    re_path(
        rf"^children/(?P<child_pk>{ANY_ID})/pathway-cases/(?P<kind>{ANY_ID})/$",
        api.UnknownCaseKindView.as_view(),
        name="api-pathway-case-start",
    ),
    re_path(rf"^pathway-cases/(?P<pk>{ANY_ID})/$", api.CaseView.as_view(), name="api-pathway-case"),
    *(
        re_path(
            rf"^pathway-cases/(?P<pk>{ANY_ID})/{step}/$",
            (api.CaseEditView if step in api.EDITS else api.CaseActionView).as_view(
                step=step,
                operation_summary=api.STEP_DOCS[step][0],
                operation_description=api.STEP_DOCS[step][1],
            ),
            name=f"api-pathway-case-{step}",
        )
        for step in api.ACTIONS
    ),
    re_path(
        rf"^pathway-cases/(?P<pk>{ANY_ID})/(?P<action>{ANY_ID})/$",
        api.UnknownCaseActionView.as_view(),
        name="api-pathway-case-action",
    ),
    # The escalation ladder (seeds 002).
    *escalations.urlpatterns,
]
