"""Generate a national-size synthetic data set in its own database, for bench/children.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench \
        .venv/bin/python bench/generate.py --children 500000

England in miniature: 150 councils (children's services and an SEN service each) in 42 ICB
partnerships, a few teams and people per agency, and N children. Each child is owned by one council
and involves it as lead; about 60% also involve their partnership's ICB and about 40% the council's
SEN service; about 4% moved council and have an ended involvement with their previous council (so
the access rule's "current involvement" test has something to refuse). Council sizes are skewed
(log-normal) like real ones, so a large council sees several times the average. Family names follow
their real frequency in Great Britain (Faker's en_GB table: Smith about 3%), given names are
recent popular baby names, NHS numbers are unique synthetic 999-range numbers with a valid Modulus
11 check digit, dates of birth are spread over 0-18 years.

This is a bulk load that bypasses services.py on purpose: half a million children through
child_register would take hours and write half a million audit events the benchmark does not read.
Rows go in with PostgreSQL COPY, with foreign-key triggers off (session_replication_role = replica)
and secondary indexes dropped and rebuilt afterwards, then VACUUM ANALYZE, as autovacuum would do on
a live system. The data is consistent by construction: every foreign key points at a row loaded here.

With --work it also loads work items at national volume for bench/my_work.py (panels, a year of
meetings, referrals in every status, decisions, funding shares awaiting approval, recommendations,
action-log actions: bench/work_data.py), onto a new data set or one already there without them.
With --national [--scale S] it loads a year and more of activity at national volume (a million
referrals, panels and their meetings, funding, pathway cases, notices, tens of millions of audit
and view-log rows: bench/national_data.py), then checks its counts and invariants.

The database is reused when it already holds a data set generated with the same options (a small
bench_meta table records them); pass --force to rebuild it. Only a database whose name ends in
"_bench" is ever created, dropped or loaded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from dataclasses import dataclass, field

import dj_database_url
import psycopg
from benchdb import bench_database_url, setup_django
from national_data import add_national, print_report
from work_data import load_work

GENERATOR_VERSION = 1
COUNCILS = 150
PARTNERSHIPS = 42
ICB_SHARE = 0.60
SEN_SHARE = 0.40
MOVED_SHARE = 0.04
NO_NHS_NUMBER_SHARE = 0.01
UNUSABLE_PASSWORD = "!bench-no-sign-in"  # a "!" hash never matches: nobody signs in with these

GIRLS = """Olivia Amelia Isla Ava Lily Freya Ivy Florence Willow Isabella Mia Sophia Grace Evie Ella
Poppy Emily Sophie Chloe Jessica Ruby Daisy Charlotte Alice Matilda Phoebe Rosie Sienna Evelyn Harper
Aria Elsie Millie Scarlett Holly Lucy Imogen Erin Megan Hannah Lola Maisie Esme Thea Layla Eliza Maya
Ellie Zara Molly Amber Katie Lauren Bethany Abigail Eleanor Georgia Niamh Summer Lacey Hollie Amelie
Violet Eva Nancy Emilia Iris Hallie Mabel Ada Penelope Bonnie Orla Robyn Leah Madison Keira Paige
Caitlin Aisha Fatima Maryam Zainab Hafsa Amira Anaya Priya Aaliyah Jasmine Libby Darcie Martha Edith
Beatrice Sofia Elizabeth Lottie Heidi Skye Nevaeh""".split()
BOYS = """Oliver George Noah Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie
Theo Alfie Jacob Thomas Finley Arlo William Lucas Roman Tommy Isaac Teddy Luca Edward James Joshua
Albie Elijah Max Mohammed Reuben Mason Logan Ethan Harrison Daniel Samuel Joseph Jayden Riley Dylan
Lewis Ryan Jake Callum Kyle Tyler Liam Connor Bradley Kai Rory Louie Hugo Sebastian Frankie Ronnie
Jude Stanley Ezra Jenson Benjamin Alexander Matthew Adam Zachary Aiden Toby Nathan Luke Michael Owen
Cameron Jamie Ben Sam Ali Omar Yusuf Ibrahim Ayaan Zayn Harvey Bobby Leon Jaxon Ollie Ralph Louis Rowan
Caleb Ellis Blake Kian Aaron Tobias""".split()
ADULT_FIRST = """Sarah Emma Rachel Claire Laura Helen Nicola Karen Joanne Amy Gemma Michelle Kelly Lisa
David Paul Mark Andrew Richard Stephen Christopher Simon Neil Gareth Darren Lee Craig Martin""".split()

COUNCIL_TEAMS = [
    "Children with Disabilities Team",
    "Children in Care Team",
    "Child in Need Team",
    "Complex Care Team",
]
SEN_TEAMS = ["SEN Casework Team", "SEN Assessment Team"]
ICB_TEAMS = ["Children's Continuing Care", "All Age Continuing Care", "Mental Health Commissioning"]
SCHOOLS = ["Primary School", "Academy", "High School", "Special School", "Pupil Referral Unit", "College"]


def zipf_weights(n: int, offset: float = 5.0) -> list[float]:
    """Earlier names in the lists are more popular, roughly as in the ONS tables."""
    return [1.0 / (rank + offset) for rank in range(n)]


def valid_synthetic_nhs_numbers() -> list[str]:
    """Every 999-range number with a valid Modulus 11 check digit (about 909,000 of them).

    Check digit: weights 10..2 on the first nine digits, 11 - (sum mod 11); 11 means 0 and 10
    means the body is never issued. 9999999999 is a placeholder, refused by casework.nhs.
    """
    numbers = []
    fixed = 9 * 10 + 9 * 9 + 9 * 8  # the leading "999"
    for n in range(1_000_000):
        digits = f"{n:06d}"
        total = fixed + sum(int(d) * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check == 10:
            continue
        number = f"999{digits}{check}"
        if number != "9999999999":
            numbers.append(number)
    return numbers


@dataclass
class Council:
    index: int
    agency_id: int
    sen_id: int
    icb_id: int
    social_workers: list[tuple[int, int]] = field(default_factory=list)  # (user id, team id)
    sen_staff: list[int] = field(default_factory=list)
    icb_staff: list[int] = field(default_factory=list)


def options_key(args: argparse.Namespace) -> dict[str, object]:
    return {"version": GENERATOR_VERSION, "children": args.children, "seed": args.seed}


# --- Database lifecycle -------------------------------------------------------------------------


def connect_kwargs(url: str, dbname: str | None = None) -> dict[str, object]:
    parsed = dj_database_url.parse(url)
    kwargs = {
        "host": parsed.get("HOST") or None,
        "port": parsed.get("PORT") or None,
        "user": parsed.get("USER") or None,
        "password": parsed.get("PASSWORD") or None,
        "dbname": dbname or parsed["NAME"],
    }
    return {k: v for k, v in kwargs.items() if v is not None}


def existing_options(url: str) -> dict[str, object] | None:
    try:
        with psycopg.connect(**connect_kwargs(url)) as conn:
            if conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is None:
                return None  # created but never finished loading
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'options'").fetchone()
    except psycopg.OperationalError:
        return None  # no such database yet
    return json.loads(row[0]) if row else None


def recreate_database(url: str) -> None:
    name = dj_database_url.parse(url)["NAME"]
    with psycopg.connect(**connect_kwargs(url, "postgres"), autocommit=True) as conn:
        ident = psycopg.sql.Identifier(name)
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(ident))


def secondary_indexes(cur: psycopg.Cursor, tables: list[str]) -> list[tuple[str, str]]:
    """Indexes other than primary keys and constraint-backed ones, as (name, CREATE INDEX ...)."""
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


def check_columns(cur: psycopg.Cursor, table: str, columns: list[str]) -> None:
    """Fail loudly if the model gained a NOT NULL column this generator does not fill."""
    required = {
        row[0]
        for row in cur.execute(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL
              AND is_identity = 'NO'
            """,
            (table,),
        )
    }
    missing = required - set(columns)
    if missing:
        sys.exit(f"{table} has NOT NULL columns bench/generate.py does not fill: {sorted(missing)}")


def copy_rows(cur: psycopg.Cursor, table: str, columns: list[str], rows) -> int:
    check_columns(cur, table, columns)
    count = 0
    statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg.sql.Identifier(table), psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, columns))
    )
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


# --- The data -----------------------------------------------------------------------------------


def load_organisations(rng: random.Random, now: dt.datetime) -> tuple[list[Council], dict[str, int]]:
    """Agencies, teams and people through the ORM: a few thousand rows, so bulk_create is quick."""
    from casework.models import Agency, AgencyKind, Role, Team, User

    partnerships = [f"Bench Partnership {p:02d}" for p in range(1, PARTNERSHIPS + 1)]
    # Every partnership has at least one council; the rest are spread unevenly (1 to ~8 each).
    council_partnership = list(range(PARTNERSHIPS)) + rng.choices(
        range(PARTNERSHIPS),
        weights=[rng.lognormvariate(0, 0.5) for _ in partnerships],
        k=COUNCILS - PARTNERSHIPS,
    )
    rng.shuffle(council_partnership)

    icbs = Agency.objects.bulk_create(
        Agency(name=f"NHS {p} ICB", kind=AgencyKind.ICB, ods_code=f"QB{i:02d}", partnership=p, created_at=now)
        for i, p in enumerate(partnerships)
    )
    council_agencies = Agency.objects.bulk_create(
        Agency(
            name=f"Bench Council {c:03d} Children's Services",
            kind=AgencyKind.CHILDRENS_SERVICES,
            partnership=partnerships[council_partnership[c]],
            created_at=now,
        )
        for c in range(COUNCILS)
    )
    sen_agencies = Agency.objects.bulk_create(
        Agency(
            name=f"Bench Council {c:03d} SEN Service",
            kind=AgencyKind.SEN,
            partnership=partnerships[council_partnership[c]],
            created_at=now,
        )
        for c in range(COUNCILS)
    )

    team_specs = [(a, COUNCIL_TEAMS) for a in council_agencies]
    team_specs += [(a, SEN_TEAMS) for a in sen_agencies] + [(a, ICB_TEAMS) for a in icbs]
    teams = Team.objects.bulk_create(Team(agency=a, name=n) for a, names in team_specs for n in names)
    teams_of: dict[int, list[Team]] = {}
    for team in teams:
        teams_of.setdefault(team.agency_id, []).append(team)

    # (agency, local part, roles, team index or None); every agency has a caseworker, a team manager
    # and an auditor. ICBs' caseworkers are clinicians (health assessors), not social workers.
    people: list[tuple[Agency, str, list[str], int | None]] = []
    for agency in council_agencies:
        for t in range(len(COUNCIL_TEAMS)):
            people += [(agency, f"sw{t}.{n}", [Role.SOCIAL_WORKER], t) for n in range(5)]
            people.append((agency, f"tm{t}", [Role.TEAM_MANAGER], t))
        people += [
            (agency, "service.manager", [Role.SERVICE_MANAGER, Role.PANEL_MEMBER], None),
            (agency, "panel.admin", [Role.PANEL_ADMINISTRATOR], None),
            (agency, "auditor", [Role.AUDITOR], None),
        ]
    for agency in sen_agencies:
        for t in range(len(SEN_TEAMS)):
            people += [(agency, f"sw{t}.{n}", [Role.SOCIAL_WORKER], t) for n in range(3)]
            people.append((agency, f"tm{t}", [Role.TEAM_MANAGER], t))
        people.append((agency, "auditor", [Role.AUDITOR], None))
    for agency in icbs:
        for t in range(len(ICB_TEAMS)):
            people += [
                (agency, f"nurse{t}.{n}", [Role.HEALTH_ASSESSOR, Role.PANEL_MEMBER], t) for n in range(4)
            ]
            people.append((agency, f"tm{t}", [Role.TEAM_MANAGER], t))
        people += [
            (agency, "finance", [Role.FINANCE_APPROVER], None),
            (agency, "auditor", [Role.AUDITOR], None),
        ]

    users = User.objects.bulk_create(
        User(
            email=f"{local}@agency{agency.pk}.bench.example",
            full_name=f"{rng.choice(ADULT_FIRST)} {local.split('.')[0].title()}{agency.pk}",
            agency=agency,
            roles=list(roles),
            password=UNUSABLE_PASSWORD,
            date_joined=now,
        )
        for agency, local, roles, _t in people
    )
    memberships = [
        User.teams.through(user_id=user.pk, team_id=teams_of[agency.pk][t].pk)
        for user, (agency, _local, _roles, t) in zip(users, people, strict=True)
        if t is not None
    ]
    User.teams.through.objects.bulk_create(memberships)

    councils = [
        Council(
            index=c,
            agency_id=council_agencies[c].pk,
            sen_id=sen_agencies[c].pk,
            icb_id=icbs[council_partnership[c]].pk,
        )
        for c in range(COUNCILS)
    ]
    by_agency = {c.agency_id: c for c in councils}
    sen_of = {c.sen_id: c for c in councils}
    icb_staff: dict[int, list[int]] = {}
    for user, (agency, _local, roles, t) in zip(users, people, strict=True):
        if agency.pk in by_agency and Role.SOCIAL_WORKER in roles:
            by_agency[agency.pk].social_workers.append((user.pk, teams_of[agency.pk][t].pk))
        elif agency.pk in sen_of and Role.SOCIAL_WORKER in roles:
            sen_of[agency.pk].sen_staff.append(user.pk)
        elif agency.kind == AgencyKind.ICB and Role.HEALTH_ASSESSOR in roles:
            icb_staff.setdefault(agency.pk, []).append(user.pk)
    for council in councils:
        council.icb_staff = icb_staff[council.icb_id]
    counts = {"agencies": len(icbs) + 2 * COUNCILS, "teams": len(teams), "users": len(users)}
    return councils, counts


CHILD_COLUMNS = [
    "id",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "nhs_number",
    "case_number",
    "gender",
    "legal_status",
    "has_ehc_plan",
    "ehc_plan_date",
    "school_name",
    "school_type",
    "learning_disability",
    "autism",
    "mental_health_needs",
    "dsr_rating",
    "allocated_social_worker_id",
    "allocated_team_id",
    "iro_name",
    "iro_email",
    "sharing_basis",
    "sharing_notes",
    "owning_agency_id",
    "created_by_id",
    "created_at",
    "updated_at",
]
INVOLVEMENT_COLUMNS = [
    "child_id",
    "agency_id",
    "role",
    "started_on",
    "ended_on",
    "added_by_id",
    "added_at",
    "reason",
]
PARENT_COLUMNS = ["child_id", "name", "relationship", "parental_responsibility", "phone", "email"]


@dataclass
class Plan:
    """Everything about the children that later tables need, kept as compact parallel lists."""

    council: list[int]
    created_on: list[dt.date]
    sen: list[bool]
    icb: list[bool]
    moved: list[bool]


def plan_children(rng: random.Random, n: int) -> Plan:
    # Log-normal council sizes: the largest is several times the median, as in England.
    sizes = [rng.lognormvariate(0, 0.6) for _ in range(COUNCILS)]
    council = rng.choices(range(COUNCILS), weights=sizes, k=n)
    return Plan(
        council=council,
        created_on=[],
        sen=[rng.random() < SEN_SHARE for _ in range(n)],
        icb=[rng.random() < ICB_SHARE for _ in range(n)],
        moved=[rng.random() < MOVED_SHARE for _ in range(n)],
    )


def child_rows(rng: random.Random, plan: Plan, councils: list[Council], today: dt.date):
    from faker.providers.person.en_GB import Provider as Names

    family = list(Names.last_names.keys())
    family_cum = list(_cumulative(Names.last_names.values()))
    girls_cum = list(_cumulative(zipf_weights(len(GIRLS))))
    boys_cum = list(_cumulative(zipf_weights(len(BOYS))))
    nhs = iter(rng.sample(valid_synthetic_nhs_numbers(), len(plan.council)))
    legal = ["child_in_need", "child_protection_plan", "care_order_s31", "accommodated_s20", "none", "other"]
    legal_cum = list(_cumulative([40, 10, 15, 8, 25, 2]))
    school_types = ["mainstream", "special", "alternative", "none", ""]
    school_cum = list(_cumulative([55, 25, 8, 7, 5]))
    dsr = ["", "red", "amber", "green", "blue"]
    dsr_cum = list(_cumulative([85, 3, 5, 5, 2]))
    sharing = ["statutory", "consent", "safeguarding", "public_task"]
    sharing_cum = list(_cumulative([70, 15, 12, 3]))
    choices, random_ = rng.choices, rng.random

    for i, c in enumerate(plan.council):
        pk = i + 1
        council = councils[c]
        sex = random_()
        if sex < 0.49:
            gender, given = "female", choices(GIRLS, cum_weights=girls_cum)[0]
        elif sex < 0.98:
            gender, given = "male", choices(BOYS, cum_weights=boys_cum)[0]
        else:
            gender = choices(["other", "not_known", ""])[0]
            given = choices(GIRLS + BOYS)[0]
        preferred = choices(GIRLS if gender == "female" else BOYS)[0] if random_() < 0.04 else ""
        born = today - dt.timedelta(days=rng.randrange(0, 18 * 365 + 4))
        # Registered some time after birth, within the last six years.
        earliest = max(born, today - dt.timedelta(days=6 * 365))
        created_on = earliest + dt.timedelta(days=int((today - earliest).days * random_()))
        plan.created_on.append(created_on)
        created_at = dt.datetime.combine(created_on, dt.time(9), dt.UTC) + dt.timedelta(
            seconds=rng.randrange(0, 8 * 3600)
        )
        status = choices(legal, cum_weights=legal_cum)[0]
        ehcp = plan.sen[i] and random_() < 0.8
        school_type = (
            choices(school_types, cum_weights=school_cum)[0]
            if born < today - dt.timedelta(days=4 * 365)
            else ""
        )
        worker, team = choices(council.social_workers)[0] if random_() < 0.9 else (None, None)
        yield (
            pk,
            given,
            choices(family, cum_weights=family_cum)[0],
            preferred,
            born,
            None if random_() < NO_NHS_NUMBER_SHARE else next(nhs),
            f"BC{c:03d}/{pk:07d}",
            gender,
            status,
            ehcp,
            max(created_on, born + dt.timedelta(days=365 * 3)) if ehcp else None,
            f"Bench {choices(SCHOOLS)[0]}" if school_type else "",
            school_type,
            random_() < 0.3,
            random_() < 0.35,
            random_() < 0.3,
            choices(dsr, cum_weights=dsr_cum)[0],
            worker,
            team,
            "Independent Reviewing Officer" if status in ("care_order_s31", "accommodated_s20") else "",
            "",
            choices(sharing, cum_weights=sharing_cum)[0],
            "",
            council.agency_id,
            worker or council.social_workers[0][0],
            created_at,
            created_at + dt.timedelta(days=int(random_() * (today - created_on).days)),
        )


def involvement_rows(rng: random.Random, plan: Plan, councils: list[Council], today: dt.date):
    for i, c in enumerate(plan.council):
        pk = i + 1
        council = councils[c]
        started = plan.created_on[i]
        added_at = dt.datetime.combine(started, dt.time(10), dt.UTC)
        by = council.social_workers[0][0]
        yield (pk, council.agency_id, "lead", started, None, by, added_at, "")
        if plan.moved[i]:
            # Known to another council before moving here: that involvement has ended.
            previous = councils[(c + rng.randrange(1, COUNCILS)) % COUNCILS]
            began = started - dt.timedelta(days=rng.randrange(60, 900))
            yield (
                pk,
                previous.agency_id,
                "lead",
                began,
                started,
                previous.social_workers[0][0],
                added_at,
                "",
            )
        if plan.icb[i]:
            later = min(today, started + dt.timedelta(days=rng.randrange(0, 60)))
            yield (
                pk,
                council.icb_id,
                "health_commissioner",
                later,
                None,
                rng.choice(council.icb_staff),
                added_at,
                "",
            )
        if plan.sen[i]:
            later = min(today, started + dt.timedelta(days=rng.randrange(0, 90)))
            yield (pk, council.sen_id, "education", later, None, rng.choice(council.sen_staff), added_at, "")


def parent_rows(rng: random.Random, n: int):
    from faker.providers.person.en_GB import Provider as Names

    family = list(Names.last_names.keys())
    for pk in range(1, n + 1):
        relationship = rng.choice(["Mother", "Mother", "Father", "Grandmother", "Foster carer", "Aunt"])
        yield (
            pk,
            f"{rng.choice(ADULT_FIRST)} {rng.choice(family)}",
            relationship,
            relationship != "Foster carer",
            f"07700 9{rng.randrange(0, 100000):05d}",  # Ofcom's drama range: never a real number
            "",
        )


def load_grants(rng: random.Random, n: int, councils: list[Council]) -> int:
    """Individual exceptions (guardian grants): a clinician asked to assess children of other areas."""
    from django.contrib.auth.models import Permission

    from casework.models import ChildUserObjectPermission

    view_child = Permission.objects.get(codename="view_child", content_type__app_label="casework")
    grants = {
        (staff, rng.randrange(1, n + 1))
        for council in councils[::5]
        for staff in council.icb_staff[:1]
        for _ in range(20)
    }
    ChildUserObjectPermission.objects.bulk_create(
        ChildUserObjectPermission(user_id=user, content_object_id=child, permission=view_child)
        for user, child in grants
    )
    return len(grants)


def sync_grant_holders() -> None:
    """Flag the people holding grants, as casework.access.grant_child_view does, where the model
    keeps such a flag (the visibility rule only looks grants up for flagged people)."""
    from casework.models import ChildUserObjectPermission, User

    if any(f.name == "holds_child_grants" for f in User._meta.get_fields()):
        holders = ChildUserObjectPermission.objects.values("user_id")
        User.objects.filter(pk__in=holders, holds_child_grants=False).update(holds_child_grants=True)


def sync_after_migrate(url: str) -> None:
    """After migrating a reused data set: fill what new migrations added, refresh the statistics
    (a migration may change a statistics target, which only counts from the next ANALYZE)."""
    sync_grant_holders()
    with psycopg.connect(**connect_kwargs(url), autocommit=True) as conn:
        conn.execute("ANALYZE")


def has_work(url: str) -> bool:
    with psycopg.connect(**connect_kwargs(url)) as conn:
        return conn.execute("SELECT 1 FROM bench_meta WHERE key = 'work'").fetchone() is not None


def add_work(url: str, seed: int) -> None:
    """Load the work items (bench/work_data.py) in one transaction, record their counts in
    bench_meta, and refresh the statistics."""
    from django.db import connection, transaction

    step = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        counts = load_work(random.Random(seed + 1), now)  # noqa: S311 - repeatable synthetic data
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_meta VALUES ('work', %s)", (json.dumps(counts),))
    print(f"  work items in {time.monotonic() - step:.0f}s: {json.dumps(counts)}")
    step = time.monotonic()
    with psycopg.connect(**connect_kwargs(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    print(f"  VACUUM ANALYZE in {time.monotonic() - step:.0f}s")


def add_national_once(url: str, seed: int, scale: float) -> None:
    """The national activity (bench/national_data.py), unless this data set already has it."""
    with psycopg.connect(**connect_kwargs(url)) as conn:
        if conn.execute("SELECT value FROM bench_meta WHERE key = 'national'").fetchone():
            print("  national activity already loaded (--force rebuilds)")
            return
    print(f"  national activity at scale {scale}")
    print_report(add_national(connect_kwargs(url), seed, scale))


def _cumulative(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


# --- Main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=500_000, help="how many children (default 500000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same data)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the same data set is there")
    parser.add_argument(
        "--work", action="store_true", help="also load work items for bench/my_work.py (bench/work_data.py)"
    )
    parser.add_argument(
        "--national",
        action="store_true",
        help="also load a year of national activity (bench/national_data.py)",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="--national at this scale (default 1: England)"
    )
    args = parser.parse_args()
    if not 1 <= args.children <= 850_000:
        sys.exit("--children must be between 1 and 850,000 (the 999 range has ~909,000 valid NHS numbers)")

    url = bench_database_url()
    wanted = options_key(args)
    found = existing_options(url)
    started = time.monotonic()
    if found == wanted and not args.force:
        print(f"Reusing {dj_database_url.parse(url)['NAME']}: already holds {wanted}")
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        sync_after_migrate(url)
        if args.work and not has_work(url):
            add_work(url, args.seed)
        if args.national:
            add_national_once(url, args.seed, args.scale)
        return

    print(f"Creating {dj_database_url.parse(url)['NAME']} for {wanted}")
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    print(f"  migrated in {time.monotonic() - started:.0f}s")

    rng = random.Random(args.seed)  # noqa: S311 - repeatable synthetic data, not secrets
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    tables = ["casework_child", "casework_involvement", "casework_parentcarer"]
    with transaction.atomic():
        councils, counts = load_organisations(rng, now)
        plan = plan_children(rng, args.children)
        with connection.cursor() as django_cursor:
            cur = django_cursor.cursor  # the psycopg 3 cursor, for COPY
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            try:
                # Foreign keys are consistent by construction; skipping their per-row triggers
                # makes the load several times faster. Needs a superuser; without one, keep them.
                cur.execute("SAVEPOINT replica")
                cur.execute("SET LOCAL session_replication_role = replica")
            except psycopg.errors.InsufficientPrivilege:
                cur.execute("ROLLBACK TO SAVEPOINT replica")
            indexes = secondary_indexes(cur, tables)
            for name, _definition in indexes:
                cur.execute(f"DROP INDEX {name}")

            step = time.monotonic()
            counts["children"] = copy_rows(
                cur, "casework_child", CHILD_COLUMNS, child_rows(rng, plan, councils, today)
            )
            print(f"  {counts['children']:,} children in {time.monotonic() - step:.0f}s")
            step = time.monotonic()
            counts["involvements"] = copy_rows(
                cur, "casework_involvement", INVOLVEMENT_COLUMNS, involvement_rows(rng, plan, councils, today)
            )
            print(f"  {counts['involvements']:,} involvements in {time.monotonic() - step:.0f}s")
            step = time.monotonic()
            counts["parents_carers"] = copy_rows(
                cur, "casework_parentcarer", PARENT_COLUMNS, parent_rows(rng, args.children)
            )
            print(f"  {counts['parents_carers']:,} parents and carers in {time.monotonic() - step:.0f}s")

            counts["grants"] = load_grants(rng, args.children, councils)

            step = time.monotonic()
            for _name, definition in indexes:
                cur.execute(definition)
            print(f"  rebuilt {len(indexes)} indexes in {time.monotonic() - step:.0f}s")
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('casework_child', 'id'), (SELECT max(id) FROM casework_child))"
            )
            cur.execute("SET LOCAL session_replication_role = origin")
            cur.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
            cur.execute(
                "INSERT INTO bench_meta VALUES ('options', %s), ('counts', %s), ('generated_at', %s)",
                (json.dumps(wanted, sort_keys=True), json.dumps(counts), now.isoformat()),
            )

    sync_grant_holders()
    step = time.monotonic()
    with psycopg.connect(**connect_kwargs(url), autocommit=True) as conn:
        # What autovacuum would do soon after a real load: statistics, and the visibility map that
        # lets the (agency, child) index answer the access rule without visiting the table.
        conn.execute("VACUUM (ANALYZE)")
    print(f"  VACUUM ANALYZE in {time.monotonic() - step:.0f}s")
    if args.work:
        add_work(url, args.seed)
    if args.national:
        add_national_once(url, args.seed, args.scale)
    print(f"Done in {time.monotonic() - started:.0f}s: {json.dumps(counts)}")


if __name__ == "__main__":
    main()
