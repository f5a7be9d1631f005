"""A year and more of activity at national volume: `generate.py --national [--scale S]` loads it.

At --scale 1 (the issue's "national data set"): about 1,000,000 referrals in every status, each
with its sections filled in as far as its status goes, two or three options with their proposed
split between the council, its SEN service and the ICB, sign-offs and a status history that ends in
the referral's status; about 600 panels (a Joint Funding Panel per ICB partnership, and council
panels in proportion to each council's size, so each panel hears about as many referrals) meeting
every week for the past year with agendas of about 20 items, attendance, papers
grants, decisions (signed, and draft for the last meeting), where the costs fall, recommendations
to absent ICBs, minutes, decision letters and the action log; about 200,000 funding packages from
agreed decisions and from arrangements that predate the panel, with versions (variations and April
uplifts across financial years), share lines split to the penny and approved, awaiting or queried,
and their events; pathway cases (Continuing Care, Section 117, Complex Lives, IFRs) with their
clocks; notices and reminders sent; and the append-only trails that grow fastest: audit events,
child views and list views in the tens of millions.

It runs on a data set made by generate.py (agencies, people, children), in one transaction: rows
go in with PostgreSQL COPY in dependency order with explicit ids (foreign-key triggers off, the
tables' secondary indexes dropped and rebuilt as the migrations define them, which checks every
unique index), then the sequences are moved past the ids used. CHECK constraints stay on, so every
row is checked against them as it goes in. Money is Decimal: every split is made by
casework.money.allocate, so shares add up to their cost exactly. Working-day deadlines (papers,
circulation, letters, minutes, recommendations, IFR decisions) come from casework.working_days.
`check()` then counts every table and tests invariants in SQL.

Like generate.py and work_data.py this bypasses services.py on purpose. Not loaded: evidence files,
papers (PDFs), packs, declarations, disputes and escalations.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache

import psycopg
from psycopg import sql

REFERRALS = 1_000_000
PACKAGE_SHARE = 0.42  # of agreed decisions that set up a joint package (about 200,000 in all)
EXISTING_PACKAGES = 0.10  # arrangements recorded as they were before the panel ran here
PATHWAY_CASES = {"continuing_care": 24_000, "section_117": 6_000, "complex_lives": 4_000, "ifr": 16_000}
NOTIFICATIONS = 3_000_000
REMINDERS = 1_000_000
AUDIT_EVENTS = 14_000_000
CHILD_VIEWS = 9_000_000
LIST_VIEWS = 3_000_000
HELD_WEEKS = 52
COUNCIL_PANELS = 560  # across the 150 councils, by size (plus one Joint Funding Panel per partnership)
FUTURE_WEEKS = 8
ACTIONS_PER_MEETING = 3
CHUNK = 20_000

STATUS_SHARES = [
    ("decided", 44),
    ("closed", 12),
    ("deferred", 3),
    ("on_agenda", 4),
    ("submitted", 4),
    ("withdrawn", 3),
    ("returned", 4),
    ("draft", 15),
    ("awaiting_team_manager", 4),
    ("awaiting_service_manager", 3),
    ("ready_to_submit", 4),
]
SECTION_TEXT = {
    "assessed_needs": "Complex health and learning needs; two placement breakdowns in the last year.",
    "current_support": "Short breaks twice a month, CAMHS every fortnight, a support worker at school.",
    "iro_comments": "The IRO supports the plan and asked for a review in three months.",
    "permanency_plan": "Long-term residential placement with a planned move to foster care.",
    "considered_elsewhere": "Considered by the Complex Needs Panel in March, referred on to this panel.",
    "child_voice": "Wants to stay near their school and friends, and to see their brother every week.",
    "parents_voice": "Mother agrees with the plan and asks for help with transport.",
    "reason_for_referral": "Needs a joint package of care across education, health and social care.",
    "summary_of_circumstances": "Living with a foster carer; the placement is at risk without more support.",
}
PERIODS = ["weekly"] * 14 + ["four_weekly"] * 2 + ["monthly"] * 2 + ["annual", "one_off"]
PROVIDER_KINDS = ["residential", "residential", "fostering", "domiciliary_care", "education", "health"]
AUDIT_ACTIONS = [
    ("referral.update", "referrals.referral"),
    ("referral.submit", "referrals.referral"),
    ("referral.sign_off", "referrals.referral"),
    ("option.update", "referrals.option"),
    ("decision.record", "panels.decision"),
    ("decision.sign", "panels.decision"),
    ("attendance.record", "panels.attendance"),
    ("shareline.approve", "funding.shareline"),
    ("child.update", "casework.child"),
    ("involvement.add", "casework.involvement"),
]
VIEW_PATHS = ["/children/{}/", "/api/children/{}/", "/children/{}/timeline/", "/children/{}/funding/"]
LIST_PATHS = [("/children/", ""), ("/children/", "Smi"), ("/api/children/", ""), ("/referrals/", "")]


def scaled(n: int, scale: float, least: int = 1) -> int:
    return max(least, round(n * scale))


@lru_cache(maxsize=4096)
def working_day_shift(day: dt.date, n: int) -> dt.date:
    from casework.working_days import add_working_days

    return add_working_days(day, n)


def next_working_day(day: dt.date) -> dt.date:
    from casework.working_days import is_working_day

    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


# --- COPY -----------------------------------------------------------------------------------------


def check_columns(cur: psycopg.Cursor, table: str, columns: list[str]) -> None:
    """Fail loudly if a model gained a NOT NULL column without a database default this does not fill."""
    required = {
        row[0]
        for row in cur.execute(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
            """,
            (table,),
        )
    }
    missing = required - set(columns) - {"id"}
    if missing:
        sys.exit(f"{table} has NOT NULL columns bench/national_data.py does not fill: {sorted(missing)}")


def _text(value: object) -> str:
    """One value in COPY's text format. Values here never hold tabs, newlines or backslashes except
    text bodies, which are escaped."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    if isinstance(value, list):
        return "{" + ",".join(map(str, value)) + "}"
    return str(value)


class Loader:
    """COPY into tables with explicit ids; remembers counts and times per table."""

    def __init__(self, cur: psycopg.Cursor, rng: random.Random, now: dt.datetime, scale: float) -> None:
        self.cur, self.rng, self.now, self.today, self.scale = cur, rng, now, now.date(), scale
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.next_ids: dict[str, int] = {}

    def ids_from(self, table: str) -> int:
        if table not in self.next_ids:
            query = sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(table))
            self.next_ids[table] = self.cur.execute(query).fetchone()[0]
        return self.next_ids[table]

    def take_id(self, table: str) -> int:
        pk = self.ids_from(table)
        self.next_ids[table] = pk + 1
        return pk

    def copy(self, table: str, columns: list[str], rows) -> int:
        """COPY rows (tuples in column order) into table; returns how many. The rows may take ids
        of this table as they go (take_id): the first id is read before COPY starts."""
        check_columns(self.cur, table, columns)
        self.ids_from(table)
        started = time.monotonic()
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        count = 0
        with self.cur.copy(statement) as copy:
            buffer: list[str] = []
            for row in rows:
                buffer.append("\t".join(map(_text, row)))
                if len(buffer) >= CHUNK:
                    copy.write("\n".join(buffer) + "\n")
                    count += len(buffer)
                    buffer.clear()
            if buffer:
                copy.write("\n".join(buffer) + "\n")
                count += len(buffer)
        self._done(table, count, started)
        return count

    def copy_lines(self, table: str, columns: list[str], lines) -> int:
        """COPY pre-formatted text lines (the append-only trails, tens of millions of rows). Into an
        empty table it is COPY FREEZE (after a TRUNCATE of the empty table, which FREEZE needs): the
        rows go in already frozen and visible, so the VACUUM after the load need not rewrite every
        page of the largest tables. Nothing references these tables, and the append-only triggers
        refuse UPDATE and DELETE, not TRUNCATE."""
        check_columns(self.cur, table, columns)
        started = time.monotonic()
        table_sql = sql.Identifier(table)
        empty = self.cur.execute(
            sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(table_sql)
        ).fetchone()[0]
        if empty:
            self.cur.execute(sql.SQL("TRUNCATE {}").format(table_sql))
        statement = sql.SQL("COPY {} ({}) FROM STDIN {}").format(
            table_sql,
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL("WITH (FREEZE)" if empty else ""),
        )
        count = 0
        with self.cur.copy(statement) as copy:
            buffer: list[str] = []
            for line in lines:
                buffer.append(line)
                if len(buffer) >= CHUNK:
                    copy.write("".join(buffer))
                    count += len(buffer)
                    buffer.clear()
            if buffer:
                copy.write("".join(buffer))
                count += len(buffer)
        self._done(table, count, started)
        return count

    def _done(self, table: str, count: int, started: float) -> None:
        self.counts[table] = self.counts.get(table, 0) + count
        self.seconds[table] = self.seconds.get(table, 0.0) + time.monotonic() - started
        print(f"    {table}: {count:,} rows in {time.monotonic() - started:.1f}s", flush=True)


# --- The world generate.py made -------------------------------------------------------------------


class World:
    """Agencies, people and children as generate.py left them, read back compactly."""

    def __init__(self, cur: psycopg.Cursor) -> None:
        agencies = cur.execute(
            "SELECT id, kind, name, partnership FROM casework_agency ORDER BY id"
        ).fetchall()
        self.icb_of: dict[str, int] = {}
        self.councils: list[int] = []
        self.partnership_of: dict[int, str] = {}
        sen_by_name: dict[str, int] = {}
        council_by_name: dict[str, int] = {}
        for pk, kind, name, partnership in agencies:
            self.partnership_of[pk] = partnership
            if kind == "icb":
                self.icb_of[partnership] = pk
            elif kind == "childrens_services" and name.startswith("Bench Council"):
                self.councils.append(pk)
                council_by_name[name[:17]] = pk
            elif kind == "sen" and name.startswith("Bench Council"):
                sen_by_name[name[:17]] = pk
        if not self.councils:
            sys.exit("No bench councils here: run generate.py without --national first")
        self.sen_of = {council_by_name[k]: v for k, v in sen_by_name.items()}
        self.people: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.email: dict[int, str] = {}
        for pk, agency_id, roles, email in cur.execute(
            "SELECT id, agency_id, roles, email FROM casework_user WHERE email LIKE '%%.bench.example' ORDER BY id"
        ):
            self.email[pk] = email
            for role in roles:
                self.people[(agency_id, role)].append(pk)
        self.all_users = sorted(self.email)
        # Each council's children, and which involve the ICB and the SEN service now.
        self.children_of: dict[int, list[int]] = defaultdict(list)
        for agency_id, child_id in cur.execute("SELECT owning_agency_id, id FROM casework_child ORDER BY id"):
            self.children_of[agency_id].append(child_id)
        self.max_child = max(c for cs in self.children_of.values() for c in cs)
        self.with_icb = bytearray(self.max_child + 1)
        self.with_sen = bytearray(self.max_child + 1)
        for child_id, role in cur.execute(
            "SELECT child_id, role FROM casework_involvement WHERE ended_on IS NULL AND role IN ('health_commissioner', 'education')"
        ):
            (self.with_icb if role == "health_commissioner" else self.with_sen)[child_id] = 1
        self.icb_children_of = {
            c: [child for child in cs if self.with_icb[child]] for c, cs in self.children_of.items()
        }

    def first(self, agency: int, role: str) -> int:
        return self.people[(agency, role)][0]


# --- Panels, meetings, memberships ------------------------------------------------------------------


class PanelPlan:
    __slots__ = (
        "id",
        "kind",
        "partnership",
        "host",
        "icb",
        "councils",
        "admin",
        "chair",
        "members",
        "held",
        "future",
    )

    def __init__(self, **kw) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


class MeetingPlan:
    __slots__ = ("id", "panel", "date", "held", "circulated_at", "icb_absent", "items", "last_held")

    def __init__(self, **kw) -> None:
        self.items = 0
        for k, v in kw.items():
            setattr(self, k, v)


def load_panels(ld: Loader, w: World) -> tuple[list[PanelPlan], dict[int, list[PanelPlan]]]:
    from casework.models import User
    from panels.models.meetings import DEFAULT_DECISION_LETTER

    rng, now, today = ld.rng, ld.now, ld.today
    by_partnership: dict[str, list[int]] = defaultdict(list)
    for c in w.councils:
        by_partnership[w.partnership_of[c]].append(c)
    specs = []  # (name, kind, partnership, host, councils, weekday)
    for p in sorted(by_partnership):
        councils = by_partnership[p]
        host = max(councils, key=lambda c: len(w.children_of[c]))
        specs.append((f"{p} Joint Commissioning Panel", "jfp", p, host, councils, 1))
    # Council panels in proportion to the council's size (at least one each), so that every panel
    # hears about as many referrals a week: a large council runs several of each kind.
    total_children = sum(len(w.children_of[c]) for c in w.councils)
    kinds = [("Joint Solutions Panel", "jsp"), ("Complex Needs Panel", "complex_needs"),
             ("Resource Allocation Panel", "irap")]  # fmt: skip
    for c in w.councils:
        p = w.partnership_of[c]
        label = f"Bench Council {w.councils.index(c):03d}"
        for j in range(max(1, round(COUNCIL_PANELS * len(w.children_of[c]) / total_children))):
            title, kind = kinds[j % 3]
            number = f" {j // 3 + 1}" if j >= 3 else ""
            specs.append((f"{label} {title}{number}", kind, p, c, [c], 2 + j % 3))
    chairs = User.objects.bulk_create(
        User(
            email=f"national.chair{k}@agency{host}.bench.example",
            full_name=f"Chair {name}",
            agency_id=host,
            roles=["panel_chair", "panel_member"],
            password="!bench-no-sign-in",  # noqa: S106 - an unusable hash: nobody signs in
            date_joined=now,
        )
        for k, (name, _kind, _p, host, _cs, _wd) in enumerate(specs)
    )
    for chair in chairs:
        w.email[chair.pk] = chair.email
    panels, panel_rows, membership_rows = [], [], []
    year_ago = today - dt.timedelta(days=7 * HELD_WEEKS + 30)
    for (name, kind, p, host, councils, weekday), chair in zip(specs, chairs, strict=True):
        pk = ld.take_id("panels_panel")
        icb = w.icb_of[p]
        anchor = today - dt.timedelta(days=(today.weekday() - weekday) % 7)
        panel_rows.append(
            (pk, name, kind, p, "", f"weekly on {anchor:%A} 14:00 to 15:30", 7, 5, 3, 3, 3, True, now, host,
             anchor, 1, "weekly", 2, weekday, dt.time(15, 30), "", dt.time(14), 2, None, "",
             DEFAULT_DECISION_LETTER, 3, 28, 2, 0, False)
        )  # fmt: skip
        admin = w.first(host, "panel_administrator")
        seats = [(chair.pk, host, "chair"), (admin, host, "administrator")]
        seats += [(w.first(c, "service_manager"), c, "member") for c in councils]
        seats += [(w.first(w.sen_of[c], "team_manager"), w.sen_of[c], "member") for c in councils[:2]]
        seats += [(w.first(icb, "finance_approver"), icb, "member")]
        seats += [(n, icb, "member") for n in w.people[(icb, "health_assessor")][: 2 if kind == "jfp" else 1]]
        members = []
        for person, agency, role in seats:
            mid = ld.take_id("panels_membership")
            membership_rows.append((mid, role, year_ago, None, agency, None, pk, person))
            members.append((mid, person, agency, role))
        panels.append(
            PanelPlan(id=pk, kind=kind, partnership=p, host=host, icb=icb, councils=councils, admin=admin,
                      chair=chair.pk, members=members, held=[], future=[])
        )  # fmt: skip
    ld.copy(
        "panels_panel",
        ["id", "name", "kind", "partnership", "purpose", "cadence", "papers_due_working_days",
         "circulation_working_days", "decision_letter_working_days", "minutes_working_days",
         "absent_agency_response_working_days", "is_active", "created_at", "host_agency_id", "cadence_anchor",
         "cadence_interval_weeks", "cadence_rule", "cadence_week_of_month", "cadence_weekday", "meeting_ends_at",
         "meeting_location", "meeting_starts_at", "quorum_members_per_agency", "terms_of_reference_review_date",
         "terms_of_reference_url", "decision_letter_template", "papers_reminder_working_days",
         "review_reminder_days", "sign_off_reminder_working_days", "inquorate_below_members",
         "inquorate_without_chair"],
        panel_rows,
    )  # fmt: skip
    ld.copy(
        "panels_membership",
        ["id", "role", "starts_on", "ends_on", "agency_id", "deputy_for_id", "panel_id", "person_id"],
        membership_rows,
    )
    panels_of: dict[int, list[PanelPlan]] = defaultdict(list)  # a council's panels, its partnership's first
    for panel in panels:
        for c in panel.councils:
            panels_of[c].append(panel)

    # A meeting a week: the past year held, the next two months scheduled (at a small scale fewer
    # meetings across the same year, so agendas stay longer; at least two held and four to come).
    held_weeks = max(2, min(HELD_WEEKS, round(HELD_WEEKS * ld.scale)))
    future_weeks = FUTURE_WEEKS if ld.scale >= 0.5 else 4
    meeting_rows = []
    for panel, (_n, _k, _p, _h, _cs, weekday) in zip(panels, specs, strict=True):
        last = today - dt.timedelta(days=(today.weekday() - weekday) % 7 or 7)
        stride = HELD_WEEKS // held_weeks
        dates = [(last - dt.timedelta(weeks=k * stride), True) for k in range(held_weeks)][::-1]
        dates += [(last + dt.timedelta(weeks=k), False) for k in range(1, future_weeks + 1)]
        for n, (day, held) in enumerate(dates):
            day = next_working_day(day)
            circulation = working_day_shift(day, -5)
            circulated = at(circulation, 9) if held or circulation <= today else None
            mid = ld.take_id("panels_meeting")
            meeting = MeetingPlan(id=mid, panel=panel, date=day, held=held, circulated_at=circulated,
                                  icb_absent=held and rng.random() < 0.1, last_held=held and n == held_weeks - 1)  # fmt: skip
            (panel.held if held else panel.future).append(meeting)
            meeting_rows.append(
                (mid, day, dt.time(14), dt.time(15, 30), "Council offices, committee room 2", "",
                 "held" if held else "scheduled", panel.id, "", None, None, 1, circulated,
                 panel.admin if circulated else None)
            )  # fmt: skip
    ld.copy(
        "panels_meeting",
        ["id", "date", "starts_at", "ends_at", "location", "online_link", "status", "panel_id", "change_reason",
         "changed_by_id", "moved_from", "version", "circulated_at", "circulated_by_id"],
        meeting_rows,
    )  # fmt: skip
    return panels, panels_of


# --- Referrals --------------------------------------------------------------------------------------


class ReferralPlan:
    __slots__ = (
        "id", "child", "council", "panel", "meeting", "status", "referrer", "tm", "sm", "created", "submitted",
        "history", "signoffs", "options", "item", "decision", "outcome", "decision_status", "closed_reason",
        "urgency", "pathway", "late",
    )  # fmt: skip

    def __init__(self) -> None:
        self.meeting = None
        self.submitted = None
        self.item = self.decision = None
        self.outcome = self.decision_status = None
        self.closed_reason = ""
        self.late = False


def plan_referrals(ld: Loader, w: World, panels_of: dict[int, list[PanelPlan]]) -> list[ReferralPlan]:
    rng, now = ld.rng, ld.now
    total = scaled(REFERRALS, ld.scale)
    sizes = [len(w.children_of[c]) for c in w.councils]
    statuses = [s for s, _ in STATUS_SHARES]
    weights = [x for _, x in STATUS_SHARES]
    councils = rng.choices(w.councils, weights=sizes, k=total)
    # Each Joint Funding Panel hears about as many as any other panel: a council sends it the share
    # of its referrals that makes its partnership's flow one panel's worth.
    n_panels = len({panel.id for ps in panels_of.values() for panel in ps})
    by_partnership: dict[str, int] = defaultdict(int)
    for c, size in zip(w.councils, sizes, strict=True):
        by_partnership[w.partnership_of[c]] += size
    jfp_share = {
        c: min(1.0, sum(sizes) / (n_panels * by_partnership[w.partnership_of[c]])) for c in w.councils
    }
    plans = []
    for c in councils:
        r = ReferralPlan()
        r.id = ld.take_id("referrals_referral")
        r.council = c
        r.status = status = rng.choices(statuses, weights)[0]
        if rng.random() < jfp_share[c] and w.icb_children_of[c]:
            panel = panels_of[c][0]
        else:
            panel = rng.choice(panels_of[c][1:])
        r.panel = panel
        pool = w.icb_children_of[c] if panel.kind == "jfp" else w.children_of[c]
        r.child = rng.choice(pool)
        workers = w.people[(c, "social_worker")]
        r.referrer = workers[0] if rng.random() < 0.05 else rng.choice(workers)
        r.tm = rng.choice(w.people[(c, "team_manager")])
        r.sm = w.first(c, "service_manager")
        r.urgency = rng.choices(["routine", "urgent", "emergency"], [85, 12, 3])[0]
        r.pathway = (
            "joint_package"
            if panel.kind == "jfp" or rng.random() < 0.7
            else rng.choice(["continuing_care", "section_117", "complex_lives"])
        )
        # When things happened: a meeting's referrals were submitted before its papers deadline.
        history: list[tuple[str, str, dt.datetime, int]] = []
        signoffs: list[tuple[str, str, dt.datetime, int]] = []
        if status in ("decided", "closed", "deferred", "on_agenda", "submitted") or (
            status == "withdrawn" and rng.random() < 0.5
        ):
            if status in ("decided", "deferred"):
                meeting = rng.choice(panel.held)
            elif status == "closed":
                old = [m for m in panel.held[: max(1, len(panel.held) * 2 // 3)]]
                meeting = rng.choice(old)
            elif status == "on_agenda":
                meeting = panel.held[-1] if rng.random() < 0.35 else panel.future[0]
            else:  # submitted (and withdrawn after submission): the next meetings
                meeting = rng.choice(panel.future[:3])
            r.meeting = meeting
            papers_due = working_day_shift(meeting.date, -7)
            submitted = at(papers_due, 10) - dt.timedelta(days=rng.randrange(0, 6), hours=rng.randrange(0, 8))
            r.late = status == "submitted" and rng.random() < 0.05
            if r.late:
                submitted = at(papers_due, 15) + dt.timedelta(days=1)
            submitted = min(submitted, now - dt.timedelta(hours=1))
            created = submitted - dt.timedelta(days=rng.randrange(10, 40), hours=rng.randrange(0, 6))
            tm_at = created + (submitted - created) / 3
            sm_at = created + (submitted - created) * 2 / 3
            history += [
                ("", "draft", created, r.referrer),
                ("draft", "awaiting_team_manager", tm_at - dt.timedelta(hours=20), r.referrer),
                ("awaiting_team_manager", "awaiting_service_manager", tm_at, r.tm),
                ("awaiting_service_manager", "ready_to_submit", sm_at, r.sm),
                ("ready_to_submit", "submitted", submitted, r.referrer),
            ]
            signoffs += [("team_manager", "signed", tm_at, r.tm), ("service_manager", "signed", sm_at, r.sm)]
            r.submitted = submitted
            if status == "withdrawn":
                history.append(
                    ("submitted", "withdrawn", min(now, submitted + dt.timedelta(days=3)), r.referrer)
                )
                r.meeting = None
            elif status != "submitted":
                history.append(("submitted", "on_agenda", meeting.circulated_at or submitted, panel.admin))
                decided_at = at(meeting.date, 17)
                if status in ("decided", "closed"):
                    history.append(("on_agenda", "decided", decided_at, panel.chair))
                    r.decision_status = "signed"
                    r.outcome = rng.choices(
                        [
                            "agreed_as_recommended",
                            "agreed_with_conditions",
                            "agreed_preferred_option",
                            "declined",
                        ],
                        [70, 15, 6, 9],
                    )[0]
                elif status == "deferred":
                    history.append(("on_agenda", "deferred", decided_at, panel.chair))
                    r.decision_status, r.outcome = "signed", "deferred"
                elif meeting.held:  # on the agenda of the last meeting, its decision still a draft
                    r.decision_status = "draft"
                    r.outcome = rng.choices(["agreed_as_recommended", "agreed_with_conditions"], [80, 20])[0]
                if status == "closed":
                    closed_at = min(
                        now - dt.timedelta(hours=2), decided_at + dt.timedelta(days=rng.randrange(30, 150))
                    )
                    r.closed_reason = rng.choices(["provision_accessed", "no_longer_needed"], [80, 20])[0]
                    history.append(("decided", "closed", closed_at, r.sm))
        else:
            created = now - dt.timedelta(days=rng.randrange(1, 90), hours=rng.randrange(0, 9))
            history.append(("", "draft", created, r.referrer))
            step = (now - created) / 4
            if status in ("awaiting_team_manager", "awaiting_service_manager", "ready_to_submit", "returned"):
                history.append(("draft", "awaiting_team_manager", created + step, r.referrer))
            if status == "returned":
                history.append(("awaiting_team_manager", "returned", created + 2 * step, r.tm))
                signoffs.append(("team_manager", "returned", created + 2 * step, r.tm))
            if status in ("awaiting_service_manager", "ready_to_submit"):
                history.append(
                    ("awaiting_team_manager", "awaiting_service_manager", created + 2 * step, r.tm)
                )
                signoffs.append(("team_manager", "signed", created + 2 * step, r.tm))
            if status == "ready_to_submit":
                history.append(("awaiting_service_manager", "ready_to_submit", created + 3 * step, r.sm))
                signoffs.append(("service_manager", "signed", created + 3 * step, r.sm))
                if rng.random() < 0.5:
                    r.meeting = rng.choice(panel.future[1:4])
            if status == "withdrawn":
                history.append(("draft", "withdrawn", created + 2 * step, r.referrer))
        r.created = created
        r.history = history
        r.signoffs = signoffs
        plans.append(r)
    return plans


def referral_rows(plans: list[ReferralPlan], w: World):
    blank = {k: "" for k in SECTION_TEXT}
    for r in plans:
        sections = blank if r.status == "draft" and r.id % 3 == 0 else SECTION_TEXT
        last = r.history[-1][2]
        yield (
            r.id, r.pathway, "new", r.urgency, r.status, "Allocated social worker",
            sections["assessed_needs"], sections["current_support"], sections["iro_comments"],
            sections["permanency_plan"], r.status != "draft", w.with_sen[r.child] == 1, w.with_sen[r.child] == 1,
            "", "", "", sections["considered_elsewhere"], sections["child_voice"], sections["parents_voice"],
            sections["reason_for_referral"], sections["summary_of_circumstances"], r.created, last, r.submitted,
            r.late, r.closed_reason, r.child, r.referrer, None, r.meeting.id if r.meeting else None, r.panel.id,
            r.referrer, r.council, None, r.referrer if r.submitted else None,
        )  # fmt: skip


REFERRAL_COLUMNS = [
    "id", "pathway", "request_type", "urgency", "status", "referrer_relationship", "assessed_needs",
    "current_support", "iro_comments", "permanency_plan", "education_change", "education_has_ehc_plan",
    "education_discussed_with_sen", "education_sen_comments", "education_current_school",
    "education_school_type", "considered_elsewhere", "child_voice", "parents_voice", "reason_for_referral",
    "summary_of_circumstances", "created_at", "updated_at", "submitted_at", "is_late_paper", "closed_reason",
    "child_id", "created_by_id", "late_accepted_by_id", "meeting_id", "panel_id", "referrer_id",
    "referrer_agency_id", "review_of_id", "submitted_by_id",
]  # fmt: skip


def plan_options(ld: Loader, w: World, plans: list[ReferralPlan]) -> None:
    """Two or three options each (drafts may have fewer), the first recommended once past draft, with
    the proposed split between the agencies the child involves (percentages adding up to 100)."""
    rng = ld.rng
    for r in plans:
        n = rng.choice([0, 1, 2]) if r.status == "draft" else (3 if rng.random() < 0.2 else 2)
        agencies = [r.council]
        if w.with_sen[r.child]:
            agencies.append(w.sen_of[r.council])
        if w.with_icb[r.child] or r.panel.kind == "jfp":
            agencies.append(w.icb_of[w.partnership_of[r.council]])
        if len(agencies) == 1:
            pcts = [Decimal(100)]
        elif len(agencies) == 2:
            pcts = rng.choice(
                [[Decimal(50), Decimal(50)], [Decimal(60), Decimal(40)], [Decimal(70), Decimal(30)]]
            )
        else:
            pcts = rng.choice(
                [
                    [Decimal(40), Decimal(30), Decimal(30)],
                    [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")],
                ]
            )
        options = []
        for position in range(1, n + 1):
            period = rng.choice(PERIODS)
            base = {"weekly": 1, "four_weekly": 4, "monthly": 4.35, "annual": 52, "one_off": 3}[period]
            cost = (Decimal(rng.randrange(40_000, 900_000)) * Decimal(str(base)) / 100).quantize(
                Decimal("0.01")
            )
            kind = rng.choice(PROVIDER_KINDS)
            weeks = 38 if kind == "education" and period == "weekly" else 52
            oid = ld.take_id("referrals_option")
            options.append((oid, position, cost, period, weeks, kind, list(zip(agencies, pcts, strict=True)),
                            position == 1 and r.status != "draft"))  # fmt: skip
        r.options = options


def option_rows(plans: list[ReferralPlan]):
    for r in plans:
        start = (r.meeting.date if r.meeting else r.created.date()) + dt.timedelta(days=14)
        for oid, position, cost, period, weeks, kind, _shares, recommended in r.options:
            yield (
                oid, position, f"Option {position}: {kind.replace('_', ' ')} with education and therapy",
                f"Bench Provider {oid % 200:03d}", cost, period, start, None,
                "Keeps the child near school and family.", "Placement may not meet every need.",
                recommended, r.id, kind, weeks, None, None,
            )  # fmt: skip


def option_share_rows(plans: list[ReferralPlan], ld: Loader):
    for r in plans:
        for oid, *_rest, shares, _rec in r.options:
            for agency, pct in shares:
                yield (ld.take_id("referrals_optionshare"), "percentage", pct, agency, oid)


def status_change_rows(plans: list[ReferralPlan], ld: Loader):
    for r in plans:
        for old, new, when, actor in r.history:
            reason = "Withdrawn by the referrer" if new == "withdrawn" else ""
            yield (ld.take_id("referrals_statuschange"), old, new, reason, when, actor, r.id)


def signoff_rows(plans: list[ReferralPlan], ld: Loader):
    for r in plans:
        for stage, decision, when, signer in r.signoffs:
            comments = (
                "Please add the IRO's comments and the costs of option 2." if decision == "returned" else ""
            )
            yield (ld.take_id("referrals_signoff"), stage, decision, comments, f"{r.id:064x}", when, None, "",
                   r.id, signer)  # fmt: skip


# --- Agendas, attendance, decisions, minutes, letters, actions --------------------------------------


def load_meeting_records(ld: Loader, w: World, panels: list[PanelPlan], plans: list[ReferralPlan]) -> list:
    """Agenda items, papers grants, attendance, decisions and their shares, recommendations to absent
    ICBs, minutes, decision letters and the action log. Returns the agreed decisions for funding."""
    from casework.money import allocate

    rng, today = ld.rng, ld.today
    on_meeting: dict[int, list[ReferralPlan]] = defaultdict(list)
    for r in plans:
        if r.meeting is not None and r.status in ("decided", "closed", "deferred", "on_agenda"):
            on_meeting[r.meeting.id].append(r)

    items, grants, attendance = [], [], []
    item_of_meeting: dict[int, list[int]] = defaultdict(list)
    for panel in panels:
        for meeting in panel.held + panel.future:
            rs = on_meeting.get(meeting.id, [])
            position = 1
            if meeting.held:
                pk = ld.take_id("panels_agendaitem")
                items.append((pk, "action_log", "Action log review", "", position, False,
                              meeting.circulated_at, None, "", panel.admin, None, meeting.id, None, None))  # fmt: skip
                position += 1
            for r in rs:
                pk = ld.take_id("panels_agendaitem")
                r.item = pk
                added = meeting.circulated_at or r.submitted
                items.append((pk, "referral", f"Referral for child {r.child}", "", position, False, added, None,
                              "", panel.admin, None, meeting.id, r.id, None))  # fmt: skip
                item_of_meeting[meeting.id].append(pk)
                position += 1
            if meeting.held:
                pk = ld.take_id("panels_agendaitem")
                items.append((pk, "other_business", "Any other business", "", position, False,
                              meeting.circulated_at, None, "", panel.admin, None, meeting.id, None, None))  # fmt: skip
            meeting.items = position
            if meeting.circulated_at:
                for _mid, person, _agency, role in panel.members:
                    chair = role == "chair"
                    grants.append((ld.take_id("panels_papersgrant"), "chair" if chair else "member",
                                   meeting.circulated_at, None if chair else at(meeting.date + dt.timedelta(days=1), 23),
                                   meeting.circulated_at, None, None, meeting.id, person))  # fmt: skip
            if meeting.held:
                for mid, _person, agency, _role in panel.members:
                    if meeting.icb_absent and agency == panel.icb:
                        status = "apologies"
                    else:
                        status = rng.choices(["present", "apologies", "absent"], [88, 9, 3])[0]
                    attendance.append((ld.take_id("panels_attendance"), status, at(meeting.date, 16), None,
                                       meeting.id, mid, panel.admin))  # fmt: skip
    ld.copy(
        "panels_agendaitem",
        ["id", "kind", "title", "description", "position", "is_supplement", "added_at", "withdrawn_at",
         "withdrawn_reason", "added_by_id", "lead_member_id", "meeting_id", "referral_id", "withdrawn_by_id"],
        items,
    )  # fmt: skip
    del items
    ld.copy(
        "panels_papersgrant",
        ["id", "reason", "starts_at", "ends_at", "granted_at", "revoked_at", "agenda_item_id", "meeting_id",
         "person_id"],
        grants,
    )  # fmt: skip
    del grants
    ld.copy(
        "panels_attendance",
        ["id", "status", "recorded_at", "deputy_for_id", "meeting_id", "membership_id", "recorded_by_id"],
        attendance,
    )
    del attendance

    decisions, shares, recommendations, letters, recipients = [], [], [], [], []
    agreed = []
    for r in plans:
        if r.decision_status is None:
            continue
        meeting, panel = r.meeting, r.panel
        pk = r.decision = ld.take_id("panels_decision")
        signed = r.decision_status == "signed"
        is_agreed = r.outcome.startswith("agreed")
        option = next((o for o in r.options if o[7]), None) if is_agreed else None
        cost, period, weeks = (option[2], option[3], option[4]) if option else (None, "", 52)
        starts = meeting.date + dt.timedelta(days=7) if option else None
        review = meeting.date + dt.timedelta(days=rng.choice([91, 182, 273, 365])) if is_agreed else None
        signed_at = at(meeting.date, 17) if signed else None
        rationale = {
            "deferred": "Deferred: the panel needs the health assessment before it can decide.",
            "declined": "Declined: the needs can be met from the council's existing provision.",
        }.get(r.outcome, "Agreed by the partners present on the evidence in the papers.")
        decisions.append((
            pk, 1, "", r.decision_status, r.outcome, rationale,
            "Review the placement after three months." if r.outcome == "agreed_with_conditions" else "",
            cost, period, starts, None, review, not meeting.icb_absent, at(meeting.date, 15, 30), signed_at,
            r.item, r.referrer if is_agreed else None, r.council if is_agreed else None,
            option[0] if option else None, panel.admin, r.id, panel.chair if signed else None, None, weeks,
        ))  # fmt: skip
        if option:
            split = option[6]
            amounts = allocate(cost, [pct for _a, pct in split])
            for (agency, pct), amount in zip(split, amounts, strict=True):
                shares.append((ld.take_id("panels_decisionshare"), "percentage", pct, amount, agency, pk))
            if signed:
                agreed.append((r, option, amounts))
            if meeting.icb_absent and any(a == panel.icb for a, _p in split):
                due = working_day_shift(meeting.date, 3)
                if due < today - dt.timedelta(days=14):
                    status, by, when = "accepted", w.first(panel.icb, "finance_approver"), at(due, 11)
                else:
                    status, by, when = "awaiting", None, None
                recommendations.append((ld.take_id("panels_agencyrecommendation"), due, status, "", when, None,
                                        panel.icb, by, pk, "no member present"))  # fmt: skip
        if signed:
            letter_due = working_day_shift(meeting.date, 3)
            sent = at(letter_due - dt.timedelta(days=rng.randrange(0, 2)), 12) if letter_due < today else None
            lid = ld.take_id("panels_decisionletter")
            letters.append((lid, f"{panel.partnership}: decision on the referral for child {r.child}",
                            f"Dear colleague,\n\nThe panel decided: {r.outcome.replace('_', ' ')}.\n\n{rationale}",
                            at(meeting.date + dt.timedelta(days=1), 10), sent, "", "", panel.admin, pk))  # fmt: skip
            for person, capacity in ((r.referrer, "Referrer"), (r.sm, "Service manager (budget holder)")):
                recipients.append(
                    (ld.take_id("panels_letterrecipient"), w.email[person], capacity, sent, lid, person)
                )
    ld.copy(
        "panels_decision",
        ["id", "version", "correction_reason", "status", "outcome", "rationale", "conditions", "cost",
         "cost_period", "starts_on", "ends_on", "review_date", "was_quorate", "recorded_at", "signed_at",
         "agenda_item_id", "key_worker_id", "lead_agency_id", "option_id", "recorded_by_id", "referral_id",
         "signed_by_id", "supersedes_id", "weeks_per_year"],
        decisions,
    )  # fmt: skip
    del decisions
    ld.copy("panels_decisionshare", ["id", "basis", "value", "amount", "agency_id", "decision_id"], shares)
    del shares
    ld.copy(
        "panels_agencyrecommendation",
        ["id", "due_on", "status", "response_reason", "responded_at", "last_chased_at", "agency_id",
         "responded_by_id", "decision_id", "why"],
        recommendations,
    )  # fmt: skip
    ld.copy(
        "panels_decisionletter",
        ["id", "subject", "body", "created_at", "sent_at", "pdf_name", "pdf_sha256", "created_by_id", "decision_id"],
        letters,
    )  # fmt: skip
    del letters
    ld.copy(
        "panels_letterrecipient", ["id", "email", "capacity", "sent_at", "letter_id", "person_id"], recipients
    )
    del recipients

    # Minutes: circulated within 3 working days, except the last week's (still drafts).
    minutes, actions, owners, updates = [], [], [], []
    for panel in panels:
        number = 0
        for meeting in panel.held:
            due = working_day_shift(meeting.date, 3)
            done = due < today
            minutes.append((
                ld.take_id("panels_minutes"),
                f"Minutes of {panel.partnership} panel, {meeting.date:%d %B %Y}.\n\n{meeting.items} items considered.",
                "circulated" if done else "draft", 1, at(meeting.date + dt.timedelta(days=1), 9),
                at(due, 9) if done else at(meeting.date + dt.timedelta(days=1), 9),
                at(due, 10) if done else None, at(due, 12) if done else None, "", "",
                panel.chair if done else None, panel.admin, meeting.id, panel.admin,
            ))  # fmt: skip
            for _ in range(ACTIONS_PER_MEETING):
                number += 1
                pk = ld.take_id("panels_action")
                due_on = meeting.date + dt.timedelta(days=rng.choice([14, 28, 42, 56]))
                closed = due_on < today and rng.random() < 0.65
                completed = min(today, due_on - dt.timedelta(days=rng.randrange(0, 10))) if closed else None
                item_ids = item_of_meeting.get(meeting.id)
                actions.append((
                    pk, number, meeting.date, "Confirm the placement's education offer with the SEN service.",
                    "A costed education offer the panel can agree.", due_on, completed,
                    "Offer agreed." if closed else "", "closed" if closed else "open", 1, panel.admin, meeting.id,
                    panel.id, panel.icb, rng.choice(item_ids) if item_ids else None,
                ))  # fmt: skip
                council = rng.choice(panel.councils)
                for user in (w.first(council, "service_manager"), w.first(panel.icb, "finance_approver")):
                    owners.append((ld.take_id("panels_action_owners"), pk, user))
                if closed or rng.random() < 0.3:
                    updates.append((ld.take_id("panels_actionupdate"), "Spoke to the SEN service; offer expected soon.",
                                    at(meeting.date + dt.timedelta(days=7), 11), pk, panel.admin))  # fmt: skip
    ld.copy(
        "panels_minutes",
        ["id", "body", "status", "version", "drafted_at", "updated_at", "approved_at", "circulated_at", "pdf_name",
         "pdf_sha256", "approved_by_id", "drafted_by_id", "meeting_id", "updated_by_id"],
        minutes,
    )  # fmt: skip
    ld.copy(
        "panels_action",
        ["id", "number", "created_on", "action", "desired_outcome", "due_on", "completed_on", "actual_impact",
         "status", "version", "created_by_id", "meeting_id", "panel_id", "partner_agency_id", "agenda_item_id"],
        actions,
    )  # fmt: skip
    ld.copy("panels_action_owners", ["id", "action_id", "user_id"], owners)
    ld.copy("panels_actionupdate", ["id", "text", "at", "action_id", "author_id"], updates)
    return agreed


# --- Funding ----------------------------------------------------------------------------------------


def april_first(day: dt.date) -> dt.date:
    """The 1 April on or after day (financial years start then)."""
    candidate = dt.date(day.year, 4, 1)
    return candidate if candidate >= day else dt.date(day.year + 1, 4, 1)


def load_funding(ld: Loader, w: World, panels_of: dict[int, list[PanelPlan]], agreed: list) -> None:
    """Packages from agreed decisions and arrangements that predate the panel; versions (a variation,
    April uplifts across financial years); share lines split to the penny; events."""
    from casework.money import allocate, annual

    rng, now, today = ld.rng, ld.now, ld.today
    provider_rows = []
    first_provider = ld.ids_from("funding_provider")
    for k in range(400):
        provider_rows.append((ld.take_id("funding_provider"), f"National Bench Provider {k:03d}",
                              PROVIDER_KINDS[k % len(PROVIDER_KINDS)], f"SC{700000 + k}", now))  # fmt: skip
    ld.copy("funding_provider", ["id", "name", "kind", "regulator_reference", "created_at"], provider_rows)

    def approver(agency: int) -> int:
        for role in ("finance_approver", "service_manager", "team_manager"):
            if w.people.get((agency, role)):
                return w.people[(agency, role)][0]
        raise LookupError(agency)

    sens, icbs = set(w.sen_of.values()), set(w.icb_of.values())

    def category(agency: int) -> str:
        return "education" if agency in sens else "icb" if agency in icbs else "social_care"

    # (package spec): child, decision id, referral id, panel id, pathway, creator, versions as
    # (effective_from, cost, period, weeks, reason), split [(agency, pct)], ended_on, awaiting.
    specs = []
    for r, option, _amounts in agreed:
        if rng.random() >= PACKAGE_SHARE or len(option[6]) < 2:
            continue
        meeting = r.meeting
        start = meeting.date + dt.timedelta(days=7)
        versions = [(start, option[2], option[3], option[4], "")]
        if option[3] != "one_off" and start < today - dt.timedelta(days=90) and rng.random() < 0.35:
            varied = start + dt.timedelta(days=rng.randrange(60, (today - start).days))
            cost = (option[2] * Decimal(rng.choice(["1.05", "1.1", "1.2", "0.9"]))).quantize(Decimal("0.01"))
            versions.append(
                (varied, cost, option[3], option[4], "Provider's new rate from the variation date")
            )
        if option[3] != "one_off" and april_first(start) <= today and rng.random() < 0.5:
            uplift = april_first(start)
            if uplift > versions[-1][0]:
                cost = (versions[-1][1] * Decimal("1.03")).quantize(Decimal("0.01"))
                versions.append((uplift, cost, option[3], option[4], "Annual uplift from 1 April"))
        ended = None
        if r.status == "closed" and r.closed_reason == "no_longer_needed":
            ended = max(versions[-1][0], r.history[-1][2].date())
        # Approvers answer within weeks: the last three weeks' packages and variations still await.
        awaiting = ended is None and (versions[-1][0] > today - dt.timedelta(days=21))
        specs.append((r.child, r.decision, r.id, r.panel.id, r.pathway, r.panel.admin, versions, option[6],
                      ended, awaiting, at(meeting.date + dt.timedelta(days=1), 9)))  # fmt: skip
    existing = round(len(specs) * EXISTING_PACKAGES / (1 - EXISTING_PACKAGES))
    for _ in range(existing):
        council = rng.choice(w.councils)
        pool = w.icb_children_of[council]
        if not pool:
            continue
        panel = panels_of[council][0]
        icb = w.icb_of[w.partnership_of[council]]
        start = today - dt.timedelta(days=rng.randrange(400, 1100))
        cost = Decimal(rng.randrange(60_000, 600_000)) / 100
        versions = [(start, cost, "weekly", 52, "")]
        uplift = april_first(start + dt.timedelta(days=1))
        while uplift <= today:
            cost = (cost * Decimal("1.03")).quantize(Decimal("0.01"))
            versions.append((uplift, cost, "weekly", 52, "Annual uplift from 1 April"))
            uplift = dt.date(uplift.year + 1, 4, 1)
        split = [(council, Decimal(50)), (icb, Decimal(50))]
        specs.append((rng.choice(pool), None, None, panel.id, rng.choice(["continuing_care", "joint_package"]),
                      panel.admin, versions, split, None, False, at(start, 9)))  # fmt: skip

    packages, versions_rows, share_rows, events = [], [], [], []
    for (
        child,
        decision,
        referral,
        panel_id,
        pathway,
        creator,
        versions,
        split,
        ended,
        awaiting,
        created,
    ) in specs:
        pk = ld.take_id("funding_fundingpackage")
        version_ids = []
        for number, (effective, cost, period, weeks, reason) in enumerate(versions, start=1):
            vid = ld.take_id("funding_packageversion")
            version_ids.append(vid)
            last = number == len(versions)
            ends_on = ended if last and ended else None
            review = effective + dt.timedelta(days=365) if period != "one_off" else None
            provider = first_provider + (pk + number) % 400
            versions_rows.append((vid, number, effective, reason, "", "Placement with education and therapy",
                                  weeks, cost, period, versions[0][0], ends_on, review, "",
                                  max(created, at(effective, 9)) if number > 1 else created, creator, pk, provider))  # fmt: skip
            amounts = allocate(cost, [pct for _a, pct in split])
            since = max(created, at(effective, 9)) if number > 1 else created
            for position, ((agency, pct), amount) in enumerate(zip(split, amounts, strict=True)):
                yearly = annual(amount, period, weeks)
                if last and awaiting:
                    status = rng.choices(["awaiting", "queried", "approved"], [60, 10, 30])[0]
                    if position == len(split) - 1 and status == "approved":
                        status = "awaiting"  # awaiting approval: at least one line still open
                else:
                    status = "approved"
                person = approver(agency)
                decided_at = since + dt.timedelta(days=rng.randrange(1, 10)) if status == "approved" else None
                if decided_at and decided_at > now:
                    decided_at = now - dt.timedelta(hours=1)
                share_rows.append((ld.take_id("funding_shareline"), position, category(agency), "percentage", pct,
                                   amount, amount if yearly is None else yearly, status, decided_at,
                                   "Please confirm the weekly rate with the provider." if status == "queried" else "",
                                   "", "", since, agency, None, person if status == "approved" else None, pk,
                                   person, vid))  # fmt: skip
                if status == "approved":
                    events.append((ld.take_id("funding_packageevent"), number, "approved",
                                   f"Share approved: £{amount}", decided_at, person, agency, pk))  # fmt: skip
            events.append((ld.take_id("funding_packageevent"), number, "created" if number == 1 else "varied",
                           reason or "Package set up from the panel's decision", since, creator, None, pk))  # fmt: skip
        status = "ended" if ended else ("awaiting_approval" if awaiting else "agreed")
        if ended:
            events.append((ld.take_id("funding_packageevent"), len(versions), "ended", "No longer needed",
                           at(ended, 12), creator, None, pk))  # fmt: skip
        agreed_at = None if awaiting else created + dt.timedelta(days=10)
        packages.append((pk, pathway, status, len(versions), None, False, created, agreed_at, ended,
                         "The child no longer needs the package." if ended else "", None, child, creator,
                         decision, creator if ended else None, panel_id, referral, version_ids[-1], None))  # fmt: skip
    # Packages first with no current version (the version points back at the package), then the
    # versions, then the current version filled in by COPY order: load packages with it set, since
    # foreign-key triggers are off and every id is known.
    ld.copy(
        "funding_fundingpackage",
        ["id", "pathway", "status", "version_number", "cetr_completed_on", "multi_agency_agreed", "created_at",
         "agreed_at", "ended_on", "end_reason", "cetr_recorded_by_id", "child_id", "created_by_id", "decision_id",
         "ended_by_id", "panel_id", "referral_id", "current_version_id", "cetr_record_id"],
        packages,
    )  # fmt: skip
    ld.copy(
        "funding_packageversion",
        ["id", "number", "effective_from", "change_reason", "backdating_reason", "service_description",
         "weeks_per_year", "cost", "cost_period", "starts_on", "ends_on", "review_date", "personal_budget",
         "created_at", "created_by_id", "package_id", "provider_id"],
        versions_rows,
    )  # fmt: skip
    ld.copy(
        "funding_shareline",
        ["id", "position", "category", "basis", "value", "amount", "annual_amount", "status", "decided_at",
         "query_text", "query_answer", "dispute_reason", "awaiting_since", "agency_id", "carried_from_id",
         "decided_by_id", "package_id", "routed_to_id", "version_id"],
        share_rows,
    )  # fmt: skip
    ld.copy(
        "funding_packageevent",
        ["id", "version_number", "action", "text", "at", "actor_id", "agency_id", "package_id"],
        events,
    )


# --- Pathway cases ----------------------------------------------------------------------------------


def load_pathways(ld: Loader, w: World) -> None:
    rng, today = ld.rng, ld.today
    cases, events, cc, s117, cl, ifr, reviews = [], [], [], [], [], [], []
    councils = [c for c in w.councils if w.icb_children_of[c]]
    weights = [len(w.icb_children_of[c]) for c in councils]
    paths = {
        "continuing_care": [
            (["checklist"], 15), (["checklist", "assessment"], 20), (["checklist", "assessment", "recommended"], 10),
            (["checklist", "assessment", "recommended", "decided", "package"], 40),
            (["checklist", "assessment", "recommended", "decided", "closed"], 15),
        ],
        "section_117": [(["aftercare"], 80), (["aftercare", "ended"], 20)],
        "complex_lives": [(["open"], 70), (["open", "closed"], 30)],
        "ifr": [(["submitted"], 30), (["submitted", "approved"], 40), (["submitted", "declined"], 20),
                (["submitted", "more_information"], 10)],
    }  # fmt: skip
    for kind, n in PATHWAY_CASES.items():
        for _ in range(scaled(n, ld.scale)):
            council = rng.choices(councils, weights)[0]
            icb = w.icb_of[w.partnership_of[council]]
            nurse = rng.choice(w.people[(icb, "health_assessor")])
            worker = rng.choice(w.people[(council, "social_worker")])
            lead, case_worker = (council, worker) if kind == "complex_lives" else (icb, nurse)
            steps = rng.choices([p for p, _ in paths[kind]], [x for _, x in paths[kind]])[0]
            open_case = len(steps) == 1 or steps[-1] in ("recommended", "assessment")
            opened = today - dt.timedelta(days=rng.randrange(1, 70) if open_case else rng.randrange(70, 700))
            pk = ld.take_id("pathways_pathwaycase")
            span = max(1, (today - opened).days)
            dates = sorted(opened + dt.timedelta(days=rng.randrange(0, span)) for _ in steps[1:])
            dates = [opened, *dates]
            previous = ""
            for status, day in zip(steps, dates, strict=True):
                events.append((ld.take_id("pathways_caseevent"), "Opened" if not previous else f"Moved to {status}",
                               day, previous, status, "", at(day, 11), case_worker, pk))  # fmt: skip
                previous = status
            cases.append((pk, kind, steps[-1], opened, at(opened, 10), at(dates[-1], 11), case_worker,
                          rng.choice(w.icb_children_of[council]), case_worker, lead))  # fmt: skip
            if kind == "continuing_care":
                decided = "decided" in steps
                needs = steps[-1] == "package"
                cc.append((ld.take_id("pathways_continuingcare"), opened, opened + dt.timedelta(weeks=6),
                           dates[1] if len(steps) > 1 else None, True if len(steps) > 1 else None, "", "", "", "",
                           ("needs" if needs else "no_needs") if "recommended" in steps else "", "", None, "",
                           dates[2] if "recommended" in steps else None,
                           ("needs" if needs else "no_needs") if decided else "", dates[3] if decided else None, "",
                           None, dates[4] if needs else None, True if needs else None, "", None, None, None, None,
                           None, nurse if "recommended" in steps else None, pk))  # fmt: skip
                if needs:
                    reviews.append((ld.take_id("pathways_casereview"), min(today, dates[4] + dt.timedelta(days=90)),
                                    "First review: package meets needs.", nurse, pk))  # fmt: skip
            elif kind == "section_117":
                ended = steps[-1] == "ended"
                detained = opened - dt.timedelta(days=rng.randrange(30, 200))
                s117.append((ld.take_id("pathways_section117"), "3", detained, opened, False, "Lived with family.",
                             "Supported accommodation and CAMHS follow-up.", "Community CAMHS, supported living.",
                             "Bench providers.", None, at(dates[-1], 12) if ended else None,
                             at(dates[-1], 12) if ended else None, "No longer needs aftercare." if ended else "", pk,
                             worker if ended else None, nurse if ended else None, council, icb))  # fmt: skip
                reviews.append((ld.take_id("pathways_casereview"), opened + dt.timedelta(days=min(span, 180)),
                                "Aftercare reviewed.", nurse, pk))  # fmt: skip
            elif kind == "complex_lives":
                cl.append(
                    (
                        ld.take_id("pathways_complexlives"),
                        "No service meets the combined mental health need.",
                        pk,
                    )
                )
            else:
                decision = steps[-1] if len(steps) > 1 else ""
                decided = dates[-1] if decision else None
                ifr.append((ld.take_id("pathways_individualfundingrequest"), "Specialist eating disorder treatment.",
                            "Clinically exceptional: no response to standard treatment.", "", opened,
                            working_day_shift(opened, 20), decision,
                            "Not clinically exceptional on the evidence." if decision == "declined" else "", decided,
                            "", nurse if decision else None, nurse, pk))  # fmt: skip
    ld.copy(
        "pathways_pathwaycase",
        ["id", "kind", "status", "opened_on", "created_at", "updated_at", "case_worker_id", "child_id",
         "created_by_id", "lead_agency_id"],
        cases,
    )  # fmt: skip
    ld.copy(
        "pathways_caseevent",
        ["id", "what", "on_date", "from_status", "to_status", "note", "at", "actor_id", "case_id"],
        events,
    )
    ld.copy(
        "pathways_continuingcare",
        ["id", "referral_received_on", "decision_due_on", "checklist_completed_on", "checklist_full_assessment",
         "checklist_notes", "preferences", "holistic_assessment", "professional_reports", "recommendation",
         "recommendation_reasons", "prompt_suggested_needs", "override_reason", "recommended_on", "decision",
         "decided_on", "decision_notes", "funding_package_ref", "package_started_on", "phb_offered", "phb_outcome",
         "adult_team_told_on", "adult_checklist_on", "decision_in_principle_on", "adult_package_on",
         "panel_referral_id", "recommended_by_id", "case_id"],
        cc,
    )  # fmt: skip
    ld.copy(
        "pathways_section117",
        ["id", "detention_section", "detained_on", "discharged_on", "cto_in_force", "ordinary_residence",
         "plan_needs", "plan_services", "plan_providers", "funding_package_ref", "icb_end_at", "council_end_at",
         "end_reason", "case_id", "council_end_by_id", "icb_end_by_id", "responsible_council_id",
         "responsible_icb_id"],
        s117,
    )  # fmt: skip
    ld.copy("pathways_complexlives", ["id", "unmet_need", "case_id"], cl)
    ld.copy(
        "pathways_individualfundingrequest",
        ["id", "treatment", "exceptionality", "evidence", "submitted_on", "decision_due_on", "decision",
         "decision_reasons", "decided_on", "appeal_reason", "decided_by_id", "submitted_by_id", "case_id"],
        ifr,
    )  # fmt: skip
    ld.copy("pathways_casereview", ["id", "held_on", "notes", "recorded_by_id", "case_id"], reviews)


# --- Notices and the trails -------------------------------------------------------------------------


def load_notices_and_trails(ld: Loader, w: World) -> None:
    """Notices and reminders, then the append-only trails, in time order over the past 400 days."""
    rng, now = ld.rng, ld.now
    users = w.all_users
    n_users = len(users)
    start = now - dt.timedelta(days=400)
    span = (now - start).total_seconds()
    random_ = rng.random

    def when(i: int, n: int) -> str:
        return (start + dt.timedelta(seconds=span * (i + random_()) / n)).isoformat()

    n = scaled(NOTIFICATIONS, ld.scale)
    first = ld.ids_from("casework_notification")
    subjects = ["Papers due for the panel on Tuesday", "A referral is waiting for your signature",
                "Decision letter sent", "A funding share awaits your approval", "Action overdue"]  # fmt: skip

    def notifications():
        recent = now - dt.timedelta(days=3)
        for i in range(n):
            created = start + dt.timedelta(seconds=span * (i + random_()) / n)
            read = None if created > recent and random_() < 0.7 else created + dt.timedelta(hours=5)
            emailed = created + dt.timedelta(minutes=1)
            yield (f"{first + i}\t{subjects[i % 5]}\t\t/my-work/\t{created.isoformat()}\t"
                   f"{read.isoformat() if read else chr(92) + 'N'}\t{emailed.isoformat()}\t{users[int(random_() * n_users)]}\n")  # fmt: skip

    ld.copy_lines(
        "casework_notification",
        ["id", "subject", "body", "url", "created_at", "read_at", "emailed_at", "user_id"],
        notifications(),
    )
    ld.next_ids["casework_notification"] = first + n

    n = scaled(REMINDERS, ld.scale)
    first = ld.ids_from("casework_remindersent")
    kinds = ["papers_due", "sign_off_waiting", "action_due", "review_due", "share_awaiting"]
    today = ld.today

    def reminders():
        for i in range(n):
            sent = start + dt.timedelta(seconds=span * (i + random_()) / n)
            yield (f"{first + i}\t{kinds[i % 5]}\tnational:{i}\t{min(today, sent.date() + dt.timedelta(days=3))}\t"
                   f"{sent.isoformat()}\t{users[int(random_() * n_users)]}\n")  # fmt: skip

    ld.copy_lines(
        "casework_remindersent", ["id", "kind", "subject_key", "due_on", "sent_at", "user_id"], reminders()
    )
    ld.next_ids["casework_remindersent"] = first + n

    max_child = w.max_child
    n = scaled(AUDIT_EVENTS, ld.scale)
    first = ld.ids_from("casework_auditevent")
    max_referral = ld.next_ids.get("referrals_referral", 2) - 1

    def audit():
        for i in range(n):
            action, object_type = AUDIT_ACTIONS[int(random_() * 10)]
            child = 1 + int(random_() * max_child)
            changes = (
                '{"status": ["draft", "awaiting_team_manager"]}' if action == "referral.submit" else "{}"
            )
            object_id = child if object_type == "casework.child" else 1 + int(random_() * max_referral)
            yield (f"{first + i}\t{when(i, n)}\t{action}\t{object_type}\t{object_id}\t\t{changes}\t"
                   f"10.{i % 200}.{i % 251}.{i % 241}\t{users[int(random_() * n_users)]}\t{child}\n")  # fmt: skip

    ld.copy_lines(
        "casework_auditevent",
        ["id", "at", "action", "object_type", "object_id", "object_repr", "changes", "ip_address", "actor_id",
         "child_id"],
        audit(),
    )  # fmt: skip
    ld.next_ids["casework_auditevent"] = first + n

    n = scaled(CHILD_VIEWS, ld.scale)
    first = ld.ids_from("casework_childviewlog")

    def views():
        for i in range(n):
            child = 1 + int(random_() * max_child)
            path = VIEW_PATHS[i % 4].format(child)
            channel = "api" if path.startswith("/api/") else "page"
            yield (f"{first + i}\t{when(i, n)}\t{channel}\t{path}\t10.{i % 200}.{i % 251}.{i % 241}\t{child}\t"
                   f"{users[int(random_() * n_users)]}\n")  # fmt: skip

    ld.copy_lines(
        "casework_childviewlog", ["id", "at", "channel", "path", "ip_address", "child_id", "user_id"], views()
    )
    ld.next_ids["casework_childviewlog"] = first + n

    n = scaled(LIST_VIEWS, ld.scale)
    first = ld.ids_from("casework_childlistviewlog")

    def lists():
        for i in range(n):
            path, query = LIST_PATHS[i % 4]
            base = int(random_() * max_child)
            ids = ",".join(str(1 + (base + 37 * k) % max_child) for k in range(25))
            channel = "api" if path.startswith("/api/") else "page"
            yield (f"{first + i}\t{when(i, n)}\t{channel}\t{path}\t{query}\t{{{ids}}}\t"
                   f"10.{i % 200}.{i % 251}.{i % 241}\t{users[int(random_() * n_users)]}\n")  # fmt: skip

    ld.copy_lines(
        "casework_childlistviewlog",
        ["id", "at", "channel", "path", "query", "child_ids", "ip_address", "user_id"],
        lists(),
    )
    ld.next_ids["casework_childlistviewlog"] = first + n


# --- Checks -----------------------------------------------------------------------------------------

TABLES = [
    "panels_panel", "panels_membership", "panels_meeting", "referrals_referral", "referrals_option",
    "referrals_optionshare", "referrals_statuschange", "referrals_signoff", "panels_agendaitem",
    "panels_papersgrant", "panels_attendance", "panels_decision", "panels_decisionshare",
    "panels_agencyrecommendation", "panels_decisionletter", "panels_letterrecipient", "panels_minutes",
    "panels_action", "panels_action_owners", "panels_actionupdate", "funding_provider", "funding_fundingpackage",
    "funding_packageversion", "funding_shareline", "funding_packageevent", "pathways_pathwaycase",
    "pathways_caseevent", "pathways_continuingcare", "pathways_section117", "pathways_complexlives",
    "pathways_individualfundingrequest", "pathways_casereview", "casework_notification", "casework_remindersent",
    "casework_auditevent", "casework_childviewlog", "casework_childlistviewlog",
]  # fmt: skip

# Each must come back 0.
INVARIANTS = {
    "decision shares that do not add up to the decision's cost": """
        SELECT count(*) FROM (SELECT d.id FROM panels_decision d JOIN panels_decisionshare s ON s.decision_id = d.id
        GROUP BY d.id, d.cost HAVING sum(s.amount) <> d.cost) x""",
    "package versions whose share lines do not add up to the cost": """
        SELECT count(*) FROM (SELECT v.id FROM funding_packageversion v JOIN funding_shareline s ON s.version_id = v.id
        GROUP BY v.id, v.cost HAVING sum(s.amount) <> v.cost) x""",
    "option splits not adding up to 100%": """
        SELECT count(*) FROM (SELECT option_id FROM referrals_optionshare GROUP BY option_id
        HAVING sum(value) <> 100) x""",
    "referrals whose last status change is not their status": """
        SELECT count(*) FROM referrals_referral r JOIN LATERAL (SELECT new_status FROM referrals_statuschange c
        WHERE c.referral_id = r.id ORDER BY at DESC, id DESC LIMIT 1) last ON true WHERE last.new_status <> r.status""",
    "referrals with no status history": """
        SELECT count(*) FROM referrals_referral r
        WHERE NOT EXISTS (SELECT 1 FROM referrals_statuschange c WHERE c.referral_id = r.id)""",
    "decided or closed referrals without a signed decision": """
        SELECT count(*) FROM referrals_referral r WHERE r.status IN ('decided', 'closed', 'deferred')
        AND NOT EXISTS (SELECT 1 FROM panels_decision d WHERE d.referral_id = r.id AND d.status = 'signed')""",
    "packages whose current version is not their last": """
        SELECT count(*) FROM funding_fundingpackage p JOIN funding_packageversion v ON v.id = p.current_version_id
        WHERE v.package_id <> p.id OR v.number <> p.version_number""",
    "packages awaiting approval with every current line approved": """
        SELECT count(*) FROM funding_fundingpackage p WHERE p.status = 'awaiting_approval' AND NOT EXISTS
        (SELECT 1 FROM funding_shareline s WHERE s.version_id = p.current_version_id AND s.status <> 'approved')""",
    "agreed packages with a line not approved": """
        SELECT count(*) FROM funding_fundingpackage p JOIN funding_shareline s ON s.version_id = p.current_version_id
        WHERE p.status = 'agreed' AND s.status <> 'approved'""",
    "meetings on a weekend or bank holiday (dates checked in Python below)": "SELECT 0",
    "IFR decisions due before submission": """
        SELECT count(*) FROM pathways_individualfundingrequest WHERE decision_due_on <= submitted_on""",
    "rows whose foreign key points nowhere (referral child, decision item, share version)": """
        SELECT (SELECT count(*) FROM referrals_referral r LEFT JOIN casework_child c ON c.id = r.child_id WHERE c.id IS NULL)
             + (SELECT count(*) FROM panels_decision d LEFT JOIN panels_agendaitem i ON i.id = d.agenda_item_id WHERE i.id IS NULL)
             + (SELECT count(*) FROM funding_shareline s LEFT JOIN funding_packageversion v ON v.id = s.version_id WHERE v.id IS NULL)""",
}  # fmt: skip

OPEN_DEADLINES = """
    SELECT 'open actions with a due date', count(*) FROM panels_action WHERE status = 'open' AND due_on IS NOT NULL
    UNION ALL SELECT 'recommendations awaiting an answer', count(*) FROM panels_agencyrecommendation WHERE status = 'awaiting'
    UNION ALL SELECT 'signed decisions with a review date to come', count(*) FROM panels_decision
        WHERE status = 'signed' AND review_date >= current_date
    UNION ALL SELECT 'share lines awaiting or queried', count(*) FROM funding_shareline WHERE status IN ('awaiting', 'queried')
    UNION ALL SELECT 'referrals waiting for a signature', count(*) FROM referrals_referral
        WHERE status IN ('awaiting_team_manager', 'awaiting_service_manager')
    UNION ALL SELECT 'Continuing Care decisions due', count(*) FROM pathways_continuingcare WHERE decision = ''
    UNION ALL SELECT 'IFR decisions due', count(*) FROM pathways_individualfundingrequest WHERE decision = ''
    UNION ALL SELECT 'scheduled meetings (papers, circulation)', count(*) FROM panels_meeting
        WHERE status = 'scheduled' AND date >= current_date
    UNION ALL SELECT 'held meetings owing minutes', count(*) FROM panels_minutes WHERE status <> 'circulated'
    UNION ALL SELECT 'decision letters not sent', count(*) FROM panels_decisionletter WHERE sent_at IS NULL
"""


def check(cur: psycopg.Cursor) -> dict[str, object]:
    """Counts per table, the open deadlines, and the invariants (each must be 0)."""
    from casework.working_days import is_working_day

    counts = {
        t: cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
        for t in TABLES
    }
    deadlines = dict(cur.execute(OPEN_DEADLINES).fetchall())
    failures = {}
    for name, query in INVARIANTS.items():
        bad = cur.execute(query).fetchone()[0]
        if bad:
            failures[name] = bad
    not_working = sum(
        1 for (day,) in cur.execute("SELECT DISTINCT date FROM panels_meeting") if not is_working_day(day)
    )
    if not_working:
        failures["meeting dates that are not working days"] = not_working
    items = cur.execute(
        "SELECT round(avg(n), 1), max(n) FROM (SELECT count(*) n FROM panels_agendaitem i JOIN panels_meeting m"
        " ON m.id = i.meeting_id WHERE m.status = 'held' GROUP BY m.id) x"
    ).fetchone()
    return {
        "counts": counts,
        "open_deadlines": deadlines,
        "open_deadlines_total": sum(deadlines.values()),
        "agenda_items_per_held_meeting": {"mean": float(items[0] or 0), "max": items[1]},
        "failures": failures,
    }


# --- Main -------------------------------------------------------------------------------------------


def load_national(
    cur: psycopg.Cursor, rng: random.Random, now: dt.datetime, scale: float
) -> dict[str, object]:
    """Load everything above through `cur` (a psycopg 3 cursor inside a transaction). The caller
    turns foreign-key triggers off and drops and rebuilds the tables' secondary indexes."""
    ld = Loader(cur, rng, now, scale)
    step = time.monotonic()
    w = World(cur)
    print(f"  read the data set in {time.monotonic() - step:.0f}s", flush=True)
    panels, panels_of = load_panels(ld, w)
    step = time.monotonic()
    plans = plan_referrals(ld, w, panels_of)
    plan_options(ld, w, plans)
    print(f"  planned {len(plans):,} referrals in {time.monotonic() - step:.0f}s", flush=True)
    ld.copy("referrals_referral", REFERRAL_COLUMNS, referral_rows(plans, w))
    ld.copy(
        "referrals_option",
        ["id", "position", "description", "provider", "cost", "period", "starts_on", "ends_on", "benefits", "risks",
         "is_recommended", "referral_id", "provider_kind", "weeks_per_year", "hourly_rate", "hours_per_week"],
        option_rows(plans),
    )  # fmt: skip
    ld.copy(
        "referrals_optionshare",
        ["id", "basis", "value", "agency_id", "option_id"],
        option_share_rows(plans, ld),
    )
    ld.copy(
        "referrals_statuschange",
        ["id", "old_status", "new_status", "reason", "at", "actor_id", "referral_id"],
        status_change_rows(plans, ld),
    )
    ld.copy(
        "referrals_signoff",
        ["id", "stage", "decision", "comments", "content_hash", "at", "withdrawn_at", "withdrawn_reason",
         "referral_id", "signer_id"],
        signoff_rows(plans, ld),
    )  # fmt: skip
    agreed = load_meeting_records(ld, w, panels, plans)
    load_funding(ld, w, panels_of, agreed)
    del plans, agreed
    load_pathways(ld, w)
    load_notices_and_trails(ld, w)
    for table in TABLES:
        if table in ld.next_ids:
            cur.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))").format(
                    t=sql.Literal(table), i=sql.Identifier(table)
                )
            )
    return {"counts": ld.counts, "seconds": {k: round(v, 1) for k, v in ld.seconds.items()}}


def secondary_indexes(cur: psycopg.Cursor, tables: list[str]) -> list[tuple[str, str]]:
    """Indexes other than primary keys and constraint-backed ones, as (name, CREATE INDEX ...): the
    migrations' indexes, partial unique ones included, rebuilt after the load (which checks them)."""
    return cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        (tables,),
    ).fetchall()


def add_national(conninfo: dict[str, object], seed: int, scale: float) -> dict[str, object]:
    """Load the national activity in one transaction, rebuild the indexes, record it in bench_meta,
    VACUUM ANALYZE, then check it. Django must be set up on the bench database."""
    import json

    from django.db import connection, transaction

    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic(), connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # the psycopg 3 cursor, for COPY
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cur.execute("SET LOCAL session_replication_role = replica")  # no foreign-key triggers (superuser)
        indexes = secondary_indexes(cur, TABLES)
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {name}")
        loaded = load_national(cur, random.Random(seed + 17), now, scale)  # noqa: S311 - synthetic data
        load_seconds = time.monotonic() - started
        step = time.monotonic()
        for _name, definition in indexes:
            cur.execute(definition)
        index_seconds = time.monotonic() - step
        print(f"  rebuilt {len(indexes)} indexes in {index_seconds:.0f}s", flush=True)
        cur.execute("SET LOCAL session_replication_role = origin")
        meta = {"scale": scale, "seed": seed, "loaded_at": now.isoformat(), **loaded,
                "copy_seconds": round(load_seconds), "index_seconds": round(index_seconds)}  # fmt: skip
        cur.execute("INSERT INTO bench_meta VALUES ('national', %s)", (json.dumps(meta),))
    step = time.monotonic()
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        # Statistics, and the visibility map index-only scans need, for the tables loaded here (the
        # children were vacuumed when generate.py made them).
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.SQL(", ").join(map(sql.Identifier, TABLES))))
        vacuum_seconds = time.monotonic() - step
        print(f"  VACUUM ANALYZE in {vacuum_seconds:.0f}s", flush=True)
        total = time.monotonic() - started
        step = time.monotonic()
        result = check(conn.cursor())
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    result.update(
        seconds={"copy": round(load_seconds), "indexes": round(index_seconds), "vacuum_analyze": round(vacuum_seconds),
                 "total": round(total), "check": round(time.monotonic() - step)},
        database_size=size,
    )  # fmt: skip
    return result


def print_report(result: dict[str, object]) -> None:
    print("  table                                   rows")
    for table, n in result["counts"].items():
        print(f"  {table:<38} {n:>12,}")
    print(f"  open deadlines: {result['open_deadlines_total']:,}")
    for name, n in result["open_deadlines"].items():
        print(f"    {name:<48} {n:>9,}")
    print(f"  agenda items per held meeting: {result['agenda_items_per_held_meeting']}")
    print(f"  seconds: {result['seconds']}; database size {result['database_size']}")
    if result["failures"]:
        print(f"  INVARIANTS FAILED: {result['failures']}")
    else:
        print(f"  all {len(INVARIANTS) + 1} invariants hold")
