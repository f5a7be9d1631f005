"""bench/pages.py on a tiny national data set: it finds its pages in the URL conf, fills them with the
agency's records, and every page it times answers 200 to someone, so the script cannot rot while
pages are added and changed. One request a page, one council (62 s at load 12 on 2 cores); no timing is asserted.
"""

from __future__ import annotations

import importlib

import pytest

from tests.bench.tiny_national import load_tiny

pages = importlib.import_module("pages")  # bench/ is on the path once tiny_national is imported

# The pages the issue names (issue 17, "What is measured"), by URL name: each must be timed.
NAMED = {
    "referrals:mine",
    "referrals:awaiting",
    "referrals:all",
    "panels:agenda",
    "panels:run_item",
    "home",
    "my_work",
    "funding:tray",
    "funding:detail",
    "funding:commitments",
    "panels:tracker",
    "panels:actions",
    "pathways:child_cases",
    "pathways:escalation_list",
    "notifications",
    "children:list",
    "children:detail",
    "referrals:detail",
}


@pytest.mark.django_db
def test_every_page_is_found_filled_and_answers(monkeypatch, settings):
    load_tiny(monkeypatch)
    settings.DEBUG = False
    # Fewer requests, the same reach: My work's HTML page as each person, one filter of one list.
    monkeypatch.setattr(pages, "EVERY_PERSON", {"home"})
    monkeypatch.setattr(pages, "QUERIES", {"referrals:all": ["?status=decided"]})
    chosen, left_out = pages.routes()
    assert not {r.name for r in chosen} & set(left_out)

    out = pages.run(subjects=[("council", "largest")], runs=1, warmup=0, log=lambda _line: None)

    [measured] = out["subjects"]
    rows = measured["results"]
    failed = [(r.label, r.row.note) for r in rows if not r.row.available]
    assert failed == []
    timed = {r.route.name for r in rows}
    assert NAMED <= timed, NAMED - timed
    # Every list of the API without arguments is timed (a new one too), unless nobody here may read it.
    api_lists = {r.name for r in chosen if r.api and not r.arguments}
    assert api_lists - timed <= set(measured["not_timed"]), api_lists - timed
    assert api_lists & timed >= {"referral-list", "child-list", "api-funding-packages", "api-my-work"}
    # My work as each of the council's people, the chair (signed in with a code) among them.
    assert {r.who for r in rows if r.route.name == "home"} >= {"social worker", "team manager", "panel chair"}
    # The filters a list offers are timed beside its plain page.
    assert any("?status=decided" in r.label for r in rows if r.route.name == "referrals:all")
    assert measured["floor"].available
    lines = pages.report(measured["subject"], measured["floor"], rows, measured["not_timed"])
    assert any(line.startswith("floor: healthz") for line in lines)
