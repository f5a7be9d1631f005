"""Importing children through the pages (issue 19): the dry run's plans and refusals, matching,
decisions, confirm (the task in-process, after the commit), idempotence, undo, audit and access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework import services as core
from casework.models import AuditEvent, Child, ChildListViewLog, Involvement, Role
from moving_in.models import BatchStatus, ImportBatch, ImportMapping, ImportRow, RowOutcome, RowPlan
from tests.factories import ChildFactory, UserFactory
from tests.moving_in.conftest import HEADINGS, confirm, csv_bytes, dry_run, latest, map_columns, upload

NHS_OK = "943 476 5919"  # passes Modulus 11
NHS_BAD = "943 476 5918"  # the same with its check digit mistyped


def plans(batch: ImportBatch) -> dict[int, tuple[str, list[str]]]:
    return {row.number: (row.plan, row.reasons) for row in ImportRow.objects.filter(batch=batch)}


def as_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_refusal_reason_in_plain_english(ines, importer):
    today = timezone.localdate()
    rows = [
        [NHS_BAD, "C1", "Amy", "Pond", "01/02/2015", "", ""],
        ["", "C2", "Rory", "Williams", (today + dt.timedelta(days=3)).strftime("%d/%m/%Y"), "", ""],
        ["", "C3", "Clara", "Oswald", "01/02/2015", "", "Hampshire Youth Offending Team"],
        ["", "C4", "Donna", "", "01/02/2015", "", ""],
        ["", "C5", "", "Noble", "", "", ""],
        ["", "C6", "Martha", "Jones", "the spring of 2015", "", ""],
        ["", "C7", "Rose", "Tyler", "01/02/1990", "", ""],
        ["1234", "C8", "Jack", "Harkness", "01/02/2015", "", ""],
        [NHS_OK, "C9", "River", "Song", "01/02/2015", "", ""],
        [NHS_OK, "C10", "River", "Song", "01/02/2015", "", ""],
        ["", "C9", "Bill", "Potts", "01/02/2015", "", ""],
    ]
    batch = dry_run(ines, csv_bytes(rows))
    found = plans(batch)
    assert found[2] == (
        RowPlan.REFUSE,
        ["The NHS number 943 476 5918 is not valid: its check digit does not match"],
    )
    assert found[3][0] == RowPlan.REFUSE and found[3][1][0].endswith("is in the future")
    assert found[4] == (
        RowPlan.REFUSE,
        ["The agency “Hampshire Youth Offending Team” is not one of Hampshire and Isle of Wight's agencies"],
    )
    assert found[5] == (RowPlan.REFUSE, ["The family name is missing"])
    assert found[6] == (RowPlan.REFUSE, ["The given name is missing", "The date of birth is missing"])
    assert found[7] == (
        RowPlan.REFUSE,
        ["The date of birth “the spring of 2015” is not a date: write it like 14/03/2012"],
    )
    assert "more than 25 years ago" in found[8][1][0]
    assert found[9] == (RowPlan.REFUSE, ["The NHS number 1234 is not valid: an NHS number has 10 digits"])
    assert found[10][0] == RowPlan.CREATE
    assert found[11] == (RowPlan.REFUSE, ["Row 10 has the same NHS number: only the first is imported"])
    assert found[12] == (RowPlan.REFUSE, ["Row 10 has the same case number: only the first is imported"])
    page = ines.get(reverse("moving_in:batch", args=[batch.pk]) + "?show=refuse").content.decode()
    assert "its check digit does not match" in page and "is in the future" in page
    # A dry run writes no child and no child's audit event.
    assert not Child.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="child.").exists()


def test_confirm_imports_through_the_child_services(
    ines, importer, hiow_icb, hants_sen, django_capture_on_commit_callbacks
):
    rows = [
        [
            NHS_OK,
            "C1",
            "Amy",
            "Pond",
            "1 Feb 2015",
            '=HYPERLINK("http://x","y")',
            "QRL; Hampshire County Council SEN Service",
        ],
        ["", "C2", "Rory", "Williams", "2015-03-04", "Oakwood Primary", ""],
    ]
    batch = confirm(ines, dry_run(ines, csv_bytes(rows)), django_capture_on_commit_callbacks)
    assert batch.status == BatchStatus.IMPORTED
    assert batch.counts["outcome"] == {"created": 2}
    amy = Child.objects.get(nhs_number="9434765919")
    assert (amy.given_name, amy.family_name, amy.date_of_birth) == ("Amy", "Pond", dt.date(2015, 2, 1))
    assert amy.school_name == '\'=HYPERLINK("http://x","y")'  # kept as text, never a formula
    assert amy.owning_agency == importer.agency and amy.created_by == importer
    assert set(Involvement.objects.filter(child=amy).values_list("agency__name", "role")) == {
        (importer.agency.name, "lead"),
        (hiow_icb.name, "health_commissioner"),
        (hants_sen.name, "education"),
    }
    # The child services' own audit events, then the batch's.
    assert AuditEvent.objects.filter(action="child.registered", actor=importer).count() == 2
    assert AuditEvent.objects.filter(action="involvement.added", child=amy).count() == 2
    actions = list(
        AuditEvent.objects.filter(object_type="moving_in.ImportBatch", object_id=str(batch.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "import_batch.created",
        "import_batch.checked",
        "import_batch.confirmed",
        "import_batch.imported",
    ]
    page = ines.get(reverse("moving_in:batch", args=[batch.pk])).content.decode()
    assert "Import finished" in page and "2 registered" in page


def test_the_same_file_twice_changes_nothing(ines, django_capture_on_commit_callbacks):
    content = csv_bytes(
        [
            [NHS_OK, "C1", "Amy", "Pond", "01/02/2015", "Oakwood", "QRL"],
            ["", "C2", "Rory", "Williams", "04/03/2015", "", ""],
            ["", "", "Clara", "Oswald", "05/06/2014", "", ""],
        ]
    )
    confirm(ines, dry_run(ines, content), django_capture_on_commit_callbacks)
    children = sorted(Child.objects.values_list("pk", "updated_at"))
    events = AuditEvent.objects.exclude(object_type="moving_in.ImportBatch").count()
    again = dry_run(ines, content)
    assert {plan for plan, _ in plans(again).values()} == {RowPlan.UNCHANGED}
    again = confirm(ines, again, django_capture_on_commit_callbacks)
    assert again.counts["outcome"] == {"unchanged": 3}
    assert sorted(Child.objects.values_list("pk", "updated_at")) == children
    assert AuditEvent.objects.exclude(object_type="moving_in.ImportBatch").count() == events
    # Running the task again for a finished batch does nothing either.
    from moving_in.tasks import import_batch

    assert import_batch.delay(again.pk).get() == "not queued"


def test_matching_by_nhs_number_case_number_and_name_with_date_of_birth(
    ines, importer, child, django_capture_on_commit_callbacks
):
    """Amelia (the conftest's child, Hampshire's) is found each way; a child with another NHS number
    is never a match, whatever its name."""
    born = child.date_of_birth.strftime("%d/%m/%Y")
    by_case = ChildFactory(owning_agency=importer.agency, case_number="LCS42", nhs_number=None)
    rows = [
        [child.nhs_number, "", "Amelia", "Hart", born, "Riverside Academy", ""],
        ["", "lcs42", by_case.given_name, by_case.family_name, by_case.date_of_birth.isoformat(), "", ""],
        ["", "", "amelia", "HART", born, "", ""],
        [NHS_OK, "", "Amelia", "Hart", born, "", ""],
    ]
    batch = dry_run(ines, csv_bytes(rows))
    by_number = {row.number: row for row in ImportRow.objects.filter(batch=batch)}
    assert (by_number[2].plan, by_number[2].matched_by, by_number[2].child) == (
        RowPlan.UPDATE,
        "NHS number",
        child,
    )
    assert by_number[2].changes == {"school_name": ["", "Riverside Academy"]}
    assert (by_number[3].plan, by_number[3].matched_by, by_number[3].child) == (
        RowPlan.UNCHANGED,
        "case number, name and date of birth",
        by_case,
    )
    assert (by_number[4].plan, by_number[4].matched_by) == (RowPlan.UNCHANGED, "name and date of birth")
    assert by_number[5].plan == RowPlan.CREATE  # another NHS number: another child
    # The dry run's page names the children it matched: logged as every list of children is.
    ines.get(reverse("moving_in:batch", args=[batch.pk]))
    logged = ChildListViewLog.objects.get(user=importer)
    assert sorted(logged.child_ids) == sorted([child.pk, by_case.pk])
    confirm(ines, batch, django_capture_on_commit_callbacks)
    child.refresh_from_db()
    assert child.school_name == "Riverside Academy"
    assert AuditEvent.objects.filter(action="child.updated", child=child, actor=importer).count() == 1


def test_ambiguous_matches_wait_for_a_person_to_decide(ines, importer, django_capture_on_commit_callbacks):
    born = dt.date(2014, 5, 6)
    twins = [
        ChildFactory(
            owning_agency=importer.agency,
            given_name="Sam",
            family_name="Lee",
            date_of_birth=born,
            nhs_number=None,
        )
        for _ in range(2)
    ]
    rows = [
        ["", "", "Sam", "Lee", "06/05/2014", "Hillside", ""],
        ["", "", "Sam", "Lee", "6 May 2014", "", ""],
    ]
    batch = dry_run(ines, csv_bytes(rows))
    row, other = ImportRow.objects.filter(batch=batch).order_by("number")
    assert row.plan == RowPlan.AMBIGUOUS and sorted(row.candidates) == sorted(c.pk for c in twins)
    page = ines.get(reverse("moving_in:batch", args=[batch.pk]) + "?show=ambiguous").content.decode()
    assert "matches more than one child by name and date of birth" in page
    assert "Continue to import" not in page
    # Not yet: confirming is refused while a row is undecided.
    response = ines.post(reverse("moving_in:confirm", args=[batch.pk]))
    assert response.status_code == 200 and "Decide the 2 rows" in response.content.decode()
    # Nothing chosen: nothing to save.
    response = ines.post(reverse("moving_in:decide", args=[batch.pk]), follow=True)
    assert "Choose which child each row is" in response.content.decode()
    # A child who is not a candidate cannot be chosen.
    stranger = ChildFactory(owning_agency=importer.agency)
    ines.post(reverse("moving_in:decide", args=[batch.pk]), {f"row-{row.pk}": f"child:{stranger.pk}"})
    row.refresh_from_db()
    assert row.decision == ""
    ines.post(
        reverse("moving_in:decide", args=[batch.pk]),
        {f"row-{row.pk}": f"child:{twins[1].pk}", f"row-{other.pk}": "skip"},
    )
    batch = confirm(ines, batch, django_capture_on_commit_callbacks)
    assert batch.counts["outcome"] == {"updated": 1, "skipped": 1}
    twins[1].refresh_from_db()
    assert twins[1].school_name == "Hillside"


def test_an_nhs_number_of_a_child_the_agency_cannot_see_is_refused_without_saying_whose(
    ines, leicester_child, django_capture_on_commit_callbacks
):
    rows = [
        [leicester_child.nhs_number, "", "Leo", "Marsh", leicester_child.date_of_birth.isoformat(), "", ""]
    ]
    batch = dry_run(ines, csv_bytes(rows))
    assert plans(batch)[2][0] == RowPlan.CREATE  # the dry run sees only the agency's own children
    batch = confirm(ines, batch, django_capture_on_commit_callbacks)
    row = ImportRow.objects.get(batch=batch)
    assert row.outcome == RowOutcome.REFUSED and row.outcome_reason
    assert "Leicester" not in row.outcome_reason and "Leo" not in row.outcome_reason
    assert Child.objects.filter(nhs_number=leicester_child.nhs_number).count() == 1


def test_the_mapping_is_remembered_for_the_partnership_s_next_file(ines, importer):
    headings = ["Child's first name", "Family", "Born on", "Unused"]
    upload(ines, csv_bytes([["Amy", "Pond", "01/02/2015", "x"]], headings=headings))
    batch = latest()
    assert batch.mapping == {}  # none of these headings is a usual name
    response = map_columns(ines, batch, given_name="0", family_name="1", date_of_birth="2")
    assert response.status_code == 302
    assert ImportMapping.objects.get(partnership="Hampshire and Isle of Wight").headings == {
        "given_name": "Child's first name",
        "family_name": "Family",
        "date_of_birth": "Born on",
    }
    # The next file, its columns in another order: guessed from last time's choice.
    upload(
        ines,
        csv_bytes(
            [["x", "01/02/2015", "Pond", "Amy"]],
            headings=["Unused", "Born on", "Family", "Child's first name"],
        ),
    )
    assert latest().mapping == {"date_of_birth": 1, "family_name": 2, "given_name": 3}


def test_the_columns_page_refuses_a_mapping_without_the_needed_fields(ines):
    upload(ines, csv_bytes([["Amy", "01/02/2015"]], headings=["Forename", "DOB"]))
    batch = latest()
    response = map_columns(ines, batch)
    assert response.status_code == 200
    assert "Choose the column that holds the family name" in response.content.decode()
    response = map_columns(ines, batch, family_name="0")
    assert "That column is already matched to given name" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.MAPPING


def test_encoding_sheets_and_limits_through_the_pages(ines, settings):
    upload(ines, csv_bytes([["", "", "Zoë", "Brontë", "01/02/2015", "", ""]], encoding="cp1252"))
    page = ines.get(reverse("moving_in:columns", args=[latest().pk])).content.decode()
    assert "Windows-1252" in page and "Zoë" in page

    from tests.moving_in.test_reading import xlsx

    workbook = xlsx(("Notes", [["Read me"]]), ("Children", [HEADINGS, ["", "", "Amy", "Pond", "01/02/2015"]]))
    response = upload(ines, workbook, "tracker.xlsx")
    batch = latest()
    assert response["Location"] == reverse("moving_in:sheet", args=[batch.pk])
    assert "Choose a sheet" in ines.get(response["Location"]).content.decode()
    response = ines.post(response["Location"], {"sheet": "Children"})
    assert response["Location"] == reverse("moving_in:columns", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.sheet_name, batch.content, batch.rows_total) == ("Children", None, 1)

    settings.MOVING_IN_MAX_UPLOAD_BYTES = 100
    response = upload(ines, csv_bytes([["", "", "Amy", "Pond", "01/02/2015", "", ""]] * 5))
    assert response.status_code == 200
    assert "The selected file must be smaller than 100 bytes" in response.content.decode()
    settings.MOVING_IN_MAX_UPLOAD_BYTES = 1_000_000
    settings.MOVING_IN_MAX_ROWS = 3
    response = upload(ines, csv_bytes([["", "", "Amy", "Pond", "01/02/2015", "", ""]] * 20))
    assert "The file has more than 3 rows" in response.content.decode()


def test_undo_takes_the_import_back(ines, importer, child, hants_sen, django_capture_on_commit_callbacks):
    born = child.date_of_birth.strftime("%d/%m/%Y")
    rows = [
        [NHS_OK, "C1", "Amy", "Pond", "01/02/2015", "", ""],
        [
            child.nhs_number,
            "",
            "Amelia",
            "Hart",
            born,
            "Riverside Academy",
            "Hampshire County Council SEN Service",
        ],
    ]
    batch = confirm(ines, dry_run(ines, csv_bytes(rows)), django_capture_on_commit_callbacks)
    assert batch.counts["outcome"] == {"created": 1, "updated": 1}
    assert "Undo the import" in ines.get(reverse("moving_in:undo", args=[batch.pk])).content.decode()
    response = ines.post(reverse("moving_in:undo", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert not Child.objects.filter(nhs_number="9434765919").exists()
    child.refresh_from_db()
    assert child.school_name == ""
    assert not Involvement.objects.filter(child=child, agency=hants_sen, ended_on__isnull=True).exists()
    assert AuditEvent.objects.filter(action="child.import_undone").count() == 1
    assert AuditEvent.objects.filter(action="import_batch.undone", actor=importer).count() == 1
    # Undone once: a second undo is a conflict.
    assert ines.post(reverse("moving_in:undo", args=[batch.pk])).status_code == 409


def test_undo_is_refused_once_work_is_built_on_a_child(
    ines, importer, hiow_icb, django_capture_on_commit_callbacks
):
    rows = [
        [NHS_OK, "C1", "Amy", "Pond", "01/02/2015", "", ""],
        ["", "C2", "Rory", "Williams", "01/02/2015", "", ""],
    ]
    batch = confirm(ines, dry_run(ines, csv_bytes(rows)), django_capture_on_commit_callbacks)
    rory = Child.objects.get(case_number="C2")
    core.involvement_add(actor=importer, child=rory, agency=hiow_icb, role="health_commissioner")
    for method in ("get", "post"):
        response = getattr(ines, method)(reverse("moving_in:undo", args=[batch.pk]))
        assert response.status_code == 409
        assert "work has been recorded since on the children of rows 3" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED
    assert Child.objects.count() == 2


def test_outsiders_and_other_roles_get_404(
    ines, importer, leics_admin, hiow_icb, social_worker, team_manager, child
):
    batch = dry_run(ines, csv_bytes([["", "", "Amy", "Pond", "01/02/2015", "", ""]]))
    icb_admin = UserFactory(agency=hiow_icb, roles=[Role.PARTNERSHIP_ADMINISTRATOR, Role.HEALTH_ASSESSOR])
    batch_urls = [
        reverse(f"moving_in:{name}", args=[batch.pk])
        for name in ("batch", "sheet", "columns", "decide", "confirm", "retry", "undo")
    ]
    for person in (leics_admin, icb_admin):
        client = as_client(person)
        assert client.get(reverse("moving_in:index")).status_code == 200  # their own (empty) list
        assert "Amy" not in client.get(reverse("moving_in:index")).content.decode()
        for url in batch_urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url).status_code == 404, url
    for person in (social_worker, team_manager):
        client = as_client(person)
        for url in [reverse("moving_in:index"), reverse("moving_in:upload"), *batch_urls]:
            assert client.get(url).status_code == 404, url
            assert client.post(url).status_code == 404, url
    assert Client().get(batch_urls[0]).status_code == 302  # sent to sign in


def test_an_administrator_without_a_role_that_registers_children_is_told_why(hants_admin):
    client = as_client(hants_admin)
    index = client.get(reverse("moving_in:index")).content.decode()
    assert "Upload a file" not in index and "Why you cannot upload a file" in index
    response = client.get(reverse("moving_in:upload"))
    assert "You cannot import children yet" in response.content.decode()
    response = client.post(reverse("moving_in:upload"))
    assert "You cannot import children yet" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_administration_page_links_to_the_imports(ines):
    assert reverse("moving_in:index") in ines.get(reverse("administration:index")).content.decode()


def test_the_dry_run_page_reads_a_fixed_number_of_queries(ines, importer, django_assert_max_num_queries):
    existing = [ChildFactory(owning_agency=importer.agency) for _ in range(10)]
    rows = [
        [c.nhs_number, "", c.given_name, c.family_name, c.date_of_birth.isoformat(), "New school", ""]
        for c in existing
    ]
    rows += [["", f"N{n}", "New", f"Child{n}", "01/02/2015", "", "QRL"] for n in range(15)]
    twins = [
        ChildFactory(
            owning_agency=importer.agency,
            given_name="Sam",
            family_name="Lee",
            date_of_birth=dt.date(2014, 5, 6),
        )
        for _ in range(2)
    ]
    rows += [["", "", "Sam", "Lee", "06/05/2014", "", ""]]
    batch = dry_run(ines, csv_bytes(rows))
    assert batch.rows_total == 26 and twins
    # Session and user (2), the batch, the rows' count and page with their children joined (2),
    # the ambiguous rows' candidates, the list-view log of the children shown, the undecided count,
    # the layout's notices and work counts (3), the session saved: 12 for the page, 15 in all,
    # the same for 26 rows as for 2.
    with django_assert_max_num_queries(15):
        response = ines.get(reverse("moving_in:batch", args=[batch.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("govuk-table__row") == 27


def test_choosing_another_heading_row_guesses_its_columns_afresh(ines):
    content = b"Hampshire tracker,,\nForename,Surname,DOB\nAmy,Pond,01/02/2015\n"
    upload(ines, content)
    batch = latest()
    assert (batch.header_row, batch.mapping) == (1, {"given_name": 0, "family_name": 1, "date_of_birth": 2})
    url = reverse("moving_in:columns", args=[batch.pk])
    page = ines.post(url, {"header_row": "0", "change_row": "1", "given_name": "0"}).content.decode()
    assert 'value="0" selected' in page  # the title row, now the headings
    assert "Check the file (dry run)" in page and "govuk-error-summary" not in page
    assert (
        'value="0" selected>Hampshire tracker' not in page.split('name="given_name"')[1].split("</select>")[0]
    )
    page = ines.post(url, {"header_row": "1", "change_row": "1"}).content.decode()
    given = page.split('name="given_name"')[1].split("</select>")[0]
    assert 'value="0" selected' in given


def test_the_upload_checks_its_csrf_token_after_the_size_limit_is_in_place(importer, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client(enforce_csrf_checks=True)
    client.force_login(importer)
    url = reverse("moving_in:upload")
    content = csv_bytes([["", "", "Amy", "Pond", "01/02/2015", "", ""]])
    assert client.post(url, {"file": SimpleUploadedFile("c.csv", content)}).status_code == 403  # no token
    token = client.get(url).cookies["csrftoken"].value
    response = client.post(url, {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("c.csv", content)})
    assert response.status_code == 302
    settings.MOVING_IN_MAX_UPLOAD_BYTES = 50  # stopped while it arrives, not read whole
    response = client.post(url, {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("c.csv", content)})
    assert response.status_code == 200
    assert "The selected file must be smaller than 50 bytes" in response.content.decode()
    assert ImportBatch.objects.count() == 1


def test_an_import_stopped_by_an_error_goes_on_from_where_it_stopped(
    ines, monkeypatch, django_capture_on_commit_callbacks
):
    from moving_in import services

    rows = [["", f"S{n}", "Stop", f"Child{n}", "01/02/2015", "", ""] for n in range(3)]
    batch = dry_run(ines, csv_bytes(rows))
    real = services._import_row
    calls = []

    def breaks_on_the_second_row(**kwargs):
        calls.append(kwargs["row_id"])
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "_import_row", breaks_on_the_second_row)
    with pytest.raises(RuntimeError):
        confirm(ines, batch, django_capture_on_commit_callbacks)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done) == (BatchStatus.FAILED, 1)
    page = ines.get(reverse("moving_in:batch", args=[batch.pk])).content.decode()
    assert "The import stopped" in page and "RuntimeError" in page
    monkeypatch.setattr(services, "_import_row", real)
    with django_capture_on_commit_callbacks(execute=True):
        response = ines.post(reverse("moving_in:retry", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED and batch.counts["outcome"] == {"created": 3}
    assert Child.objects.filter(case_number__startswith="S").count() == 3
    assert AuditEvent.objects.filter(action="import_batch.requeued").count() == 1
