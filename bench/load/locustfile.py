"""The load test's people (issue 17): each locust user is one bench persona who signs in through the
real sign-in form and then works through a mix of pages that follows their role.

Run by bench/load.py, which prepares the personas (passwords, authenticator secrets, API tokens,
the ids of records they may open) in LOAD_PERSONAS; see its docstring and bench/README.md
"Load test". No Django here: the client knows only HTTP, the forms' CSRF token and the time-based
code an authenticator app would show (django-otp's own TOTP function, the one the server checks).

Every answer other than the expected status is a failure named by its status ("HTTP 500"), so
locust's failures file counts errors by status. Redirects are not followed: a page that sends a
signed-in person back to sign-in is a failure, not a 200.

Think time 2-6 s between pages (a person reading a page and clicking on), the mix's weights below.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from binascii import unhexlify
from pathlib import Path

from django_otp.oath import totp
from locust import HttpUser, between, events, task
from locust.clients import HttpSession
from locust.exception import StopUser

DATA = json.loads(Path(os.environ["LOAD_PERSONAS"]).read_text())
PASSWORD = DATA["password"]
_next_persona = itertools.cycle(DATA["personas"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Family-name prefixes people type into the child search: common ones (Smi: 14,563 nationally) and rarer.
NAME_PREFIXES = [
    "Smi",
    "Jon",
    "Wil",
    "Bro",
    "Tay",
    "Dav",
    "Eva",
    "Tho",
    "Rob",
    "Wal",
    "Kha",
    "Pat",
    "Hug",
    "Oco",
]

# The mix: (weight, page) per kind of persona. Weights are relative within a persona. "api:" pages
# are read with the persona's read-only API token (no session), as another system would. The
# agenda page (/agenda/) is where the panel's chair and administrator build it (need="administer");
# other members read the meeting's page.
MIXES: dict[str, list[tuple[int, str]]] = {
    "social worker": [
        (6, "my_work"),
        (2, "child_list"),
        (2, "search_name"),
        (1, "search_nhs"),
        (4, "child"),
        (2, "my_referrals"),
        (3, "referral"),
        (1, "save_draft"),
        (1, "notifications"),
        (1, "api:my_work"),
        (1, "api:children"),
        (1, "api:referrals"),
    ],
    "team manager": [
        (6, "my_work"),
        (3, "awaiting_sign_off"),
        (3, "referral"),
        (2, "child_list"),
        (2, "search_name"),
        (3, "child"),
        (1, "team_work"),
        (1, "notifications"),
        (1, "api:my_work"),
    ],
    "service manager": [
        (5, "my_work"),
        (2, "awaiting_sign_off"),
        (2, "referral"),
        (1, "all_referrals"),
        (2, "commitments"),
        (1, "package"),
        (1, "meeting"),
        (1, "tracker"),
        (1, "panel_work"),
        (1, "notifications"),
        (1, "api:commitments"),
    ],
    "nurse": [
        (5, "my_work"),
        (2, "child_list"),
        (2, "search_name"),
        (4, "child"),
        (2, "referral"),
        (1, "all_referrals"),
        (1, "notifications"),
        (1, "api:children"),
        (1, "api:referrals"),
    ],
    "panel chair": [
        (5, "my_work"),
        (2, "panel_work"),
        (4, "agenda"),
        (2, "meeting"),
        (3, "referral"),
        (1, "tracker"),
        (1, "notifications"),
        (1, "api:agenda"),
    ],
    "panel administrator": [
        (5, "my_work"),
        (2, "panel_work"),
        (4, "agenda"),
        (2, "meeting"),
        (2, "referral"),
        (2, "tracker"),
        (1, "all_referrals"),
        (1, "tray"),
        (1, "notifications"),
        (1, "api:agenda"),
    ],
    "finance approver": [
        (5, "my_work"),
        (4, "tray"),
        (3, "package"),
        (2, "commitments"),
        (1, "referral"),
        (1, "panel_work"),
        (1, "notifications"),
        (1, "api:approvals"),
        (1, "api:commitments"),
        (1, "api:packages"),
    ],
}


# The pages of the mix: (path, name in the results when not the path with its records as [id]).
# {key} is filled from the persona's records (a random one of a list) or a name prefix; "api:"
# pages are read with the API token. The one write, "save_draft", is page_save_draft below.
PAGES: dict[str, tuple[str, str | None]] = {
    "my_work": ("/", "/ (My work)"),
    "notifications": ("/notifications/", None),
    "child_list": ("/children/", None),
    "search_name": ("/children/?q={name_prefix}", None),
    "search_nhs": ("/children/?q={nhs_numbers}", None),
    "child": ("/children/{children}/", None),
    "my_referrals": ("/referrals/", None),
    "awaiting_sign_off": ("/referrals/awaiting-sign-off/", None),
    "all_referrals": ("/referrals/all/", None),
    "referral": ("/referrals/{referrals}/", None),
    "team_work": ("/my-work/team/", None),
    "panel_work": ("/my-work/panels/", None),
    "agenda": ("/panels/meetings/{meetings}/agenda/", None),
    "meeting": ("/panels/meetings/{meetings}/", None),
    "tracker": ("/panels/{panel}/tracker/", None),
    "tray": ("/funding/approvals/", None),
    "commitments": ("/funding/commitments/", None),
    "package": ("/funding/packages/{packages}/", None),
    "api:my_work": ("/api/my-work/", None),
    "api:children": ("/api/children/", None),
    "api:referrals": ("/api/referrals/", None),
    "api:agenda": ("/api/meetings/{meetings}/agenda/", None),
    "api:approvals": ("/api/funding/approvals/", None),
    "api:commitments": ("/api/funding/commitments/", None),
    "api:packages": ("/api/funding/packages/", None),
}
PLACES = re.compile(r"{(\w+)}")
LABELS = {"name_prefix": "[name prefix]", "nhs_numbers": "[NHS number]"}
LABELS.update(dict.fromkeys(("children", "referrals", "meetings", "panel", "packages"), "[id]"))


_environment = None


@events.init.add_listener
def _keep_environment(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


@events.quit.add_listener
def _write_result(exit_code, **_kwargs) -> None:
    """The final figures, for bench/load.py, once the users still at work at the end have finished
    (locust's CSV files are written before that, so they miss the last requests)."""
    path = os.environ.get("LOAD_RESULT")
    if not path or _environment is None:
        return
    stats = _environment.stats

    def entry(e) -> dict:
        return {
            "method": e.method or "",
            "name": e.name,
            "requests": e.num_requests,
            "failures": e.num_failures,
            "p50": e.get_response_time_percentile(0.5),
            "p95": e.get_response_time_percentile(0.95),
            "p99": e.get_response_time_percentile(0.99),
            "max": round(e.max_response_time or 0),
            "rps": e.total_rps,
        }

    errors = []
    for error in stats.errors.values():
        text = str(error.error)
        status = re.search(r"HTTP (\d{3})", text)
        errors.append(
            {
                "method": error.method,
                "name": error.name,
                "status": status.group(1) if status else text[:120],
                "occurrences": error.occurrences,
            }
        )
    Path(path).write_text(
        json.dumps(
            {
                "total": entry(stats.total),
                "pages": [entry(e) for e in sorted(stats.entries.values(), key=lambda e: (e.name, e.method))],
                "errors": errors,
            },
            indent=1,
        )
    )


class Person(HttpUser):
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.persona = next(_next_persona)
        pages = [(w, page) for w, page in MIXES[self.persona["kind"]] if self._possible(page)]
        self.weights = [w for w, _page in pages]
        self.pages = [page for _w, page in pages]
        # The API as another system calls it: a token, no cookies.
        self.api = HttpSession(self.host, self.environment.events.request, self)
        self.api.headers["Authorization"] = f"Bearer {self.persona['token']}"
        self.sign_in()

    def _possible(self, page: str) -> bool:
        """Whether this persona has the records the page opens (a chair has no drafts to save)."""
        needs = ["drafts"] if page == "save_draft" else PLACES.findall(PAGES[page][0])
        return all(self.persona.get(key, True) for key in needs if key != "name_prefix")

    # --- Signing in, as a person does ---------------------------------------------------------

    def sign_in(self) -> None:
        token = self._form_token("/sign-in/", "sign-in: form")
        with self.client.post(
            "/sign-in/",
            data={"username": self.persona["email"], "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign-in: password",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"HTTP {answer.status_code}")
                raise StopUser()
        if self.persona["totp_key"]:
            token = self._form_token("/sign-in/code/", "sign-in: code form")
            code = f"{totp(unhexlify(self.persona['totp_key'])):06d}"
            with self.client.post(
                "/sign-in/code/",
                data={"code": code, "csrfmiddlewaretoken": token},
                name="sign-in: code",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                if answer.status_code != 302:
                    answer.failure(f"HTTP {answer.status_code}")
                    raise StopUser()

    def _form_token(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            found = CSRF.search(answer.text) if answer.status_code == 200 else None
            if found is None:
                answer.failure(f"HTTP {answer.status_code}" if answer.status_code != 200 else "no CSRF token")
                raise StopUser()
        return found.group(1)

    # --- The mix ----------------------------------------------------------------------------

    @task
    def next_page(self) -> None:
        page = random.choices(self.pages, weights=self.weights)[0]
        if page == "save_draft":
            self.page_save_draft()
            return
        path, name = PAGES[page]
        path = PLACES.sub(lambda m: self.fill(m.group(1)), path)
        self.get(
            path,
            name or PLACES.sub(lambda m: LABELS[m.group(1)], PAGES[page][0]),
            client=self.api if page.startswith("api:") else None,
        )

    def get(self, path: str, name: str, *, client: HttpSession | None = None) -> None:
        with (client or self.client).get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")

    def pick(self, key: str):
        return random.choice(self.persona[key])

    def fill(self, key: str) -> str:
        if key == "name_prefix":
            return random.choice(NAME_PREFIXES)
        value = self.persona[key]
        return str(random.choice(value) if isinstance(value, list) else value)

    def page_save_draft(self) -> None:
        """The one write: save the 'Assessed needs' section of one of their drafts again (with a
        line added), as a social worker does while writing it; the page answers with a redirect."""
        path = f"/referrals/{self.pick('drafts')}/sections/needs/"
        with self.client.get(path, name="/referrals/[id]/sections/needs/", catch_response=True) as answer:
            found = CSRF.search(answer.text) if answer.status_code == 200 else None
            if found is None:
                answer.failure(f"HTTP {answer.status_code}")
                return
        text = "Needs assessed by the team; updated during the load test.\n" * random.randint(1, 5)
        with self.client.post(
            path,
            data={"assessed_needs": text, "csrfmiddlewaretoken": found.group(1)},
            name="/referrals/[id]/sections/needs/ (save)",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"HTTP {answer.status_code}")
