"""The officers of the load test (run by benchmarks/load.py, which writes their plan).

Each simulated officer logs in as one of the province database's `bench_officer_NN`
accounts (county 查看 or town 采集员, pledge signed) and browses what an officer browses:
the member list (first page, a later page, a surname search), a member's details, the
progress page of their union and of a union under it, and — collectors — the preview of
an import waiting for confirmation. Requests are named by page type, so the statistics
come out one row per type. Anything but a 200 on the page itself (a redirect to the login,
the pledge or the second factor included) counts as an error.

The statistics start when the last officer has logged in, and the run stops
`LOAD_DURATION` seconds later: each login is a deliberately slow password hash (≈ 0.35 s
of CPU), and 50 of them are not the browsing the test measures.
"""

import itertools
import json
import os
import random
import re

import gevent
from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
_next_officer = itertools.count()
_logged_in = itertools.count(1)
DURATION = int(os.environ.get("LOAD_DURATION", "0"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Officer(HttpUser):
    wait_time = between(2, 8)  # reading the page before the next click

    def on_start(self):
        self.plan = PLAN["officers"][next(_next_officer) % len(PLAN["officers"])]
        page = self.client.get("/login/", name="login (form)")
        token = CSRF.search(page.text)
        with self.client.post(
            "/login/",
            {
                "username": self.plan["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": self.host + "/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.plan['username']}: {response.status_code}")
        runner = self.environment.runner
        if DURATION and next(_logged_in) == runner.target_user_count:
            runner.stats.reset_all()  # everyone is in: the browsing is measured from here
            gevent.spawn_later(DURATION, runner.quit)

    def _page(self, url: str, name: str, *, data=None):
        method = self.client.post if data is not None else self.client.get
        extra = {"data": data, "headers": {"Referer": self.host + url}} if data else {}
        with method(
            url, name=name, allow_redirects=False, catch_response=True, **extra
        ) as response:
            expected = 302 if data is not None else 200
            if response.status_code != expected:
                where = response.headers.get("Location", "")
                response.failure(f"{url}: {response.status_code} {where}".strip())
            return response

    @task(4)
    def member_list(self):
        self._page("/members/", "member list")

    @task(2)
    def member_list_later_page(self):
        after = random.choice(self.plan["members"])
        self._page(f"/members/?after={after}", "member list (?after=)")

    @task(2)
    def member_search(self):
        """A surname search: posted (the filter lives in the session), then the page."""
        page = self.client.get("/members/", name="member list")
        token = CSRF.search(page.text)
        surname = random.choice(PLAN["surnames"])
        data = {"q": surname, "include_sub": "on"}
        if token:
            data["csrfmiddlewaretoken"] = token.group(1)
        self._page("/members/", "member search (post)", data=data)
        self._page("/members/", "member search (results)")
        self.client.post(
            "/members/",
            {"reset": "1", "csrfmiddlewaretoken": data.get("csrfmiddlewaretoken", "")},
            headers={"Referer": self.host + "/members/"},
            name="member search (reset)",
            allow_redirects=False,
        )

    @task(4)
    def member_detail(self):
        self._page(f"/members/{random.choice(self.plan['members'])}/", "member detail")

    @task(3)
    def progress(self):
        self._page(f"/progress/{random.choice(self.plan['unions'])}/", "progress")

    @task(2)
    def import_preview(self):
        if self.plan["imports"]:
            self._page(f"/collect/jobs/{random.choice(self.plan['imports'])}/", "import preview")
        else:
            self._page("/members/", "member list")
