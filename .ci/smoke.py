"""Smoke test of the production shape: gunicorn with DEBUG=0 behind a (pretend) TLS proxy.

Run by .ci/run against a server it started: /healthz over plain HTTP, the login page,
a login, the confidentiality pledge, and the member list with its headers. Standard
library only; exits non-zero with the reason on the first thing that is wrong."""

import http.client
import re
import sys
from http.cookies import SimpleCookie
from urllib.parse import urlencode

HOST, PORT = sys.argv[1], int(sys.argv[2])
SITE = "gonghui.example.org"
cookies: dict[str, str] = {}


def request(method, path, form=None, *, proxied=True):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    headers = {"Host": SITE if proxied else f"{HOST}:{PORT}"}
    if proxied:  # what the TLS-terminating proxy adds (PROXY_COUNT=1)
        headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"https://{SITE}"
        headers["Referer"] = f"https://{SITE}{path}"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read().decode("utf-8", errors="replace")
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            cookies[name] = morsel.value
    return response, data


def expect(condition, message):
    if not condition:
        print(f"SMOKE FAILED: {message}")
        sys.exit(1)
    print(f"ok  {message}")


def csrf(page):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    expect(match, "the form carries a CSRF token")
    return match.group(1)


def hardened(response, what):
    policy = response.getheader("Content-Security-Policy") or ""
    expect(
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0],
        f"{what}: Content-Security-Policy without inline script",
    )
    expect(
        "no-store" in (response.getheader("Cache-Control") or ""), f"{what}: Cache-Control no-store"
    )
    expect(
        "camera=()" in (response.getheader("Permissions-Policy") or ""),
        f"{what}: Permissions-Policy",
    )
    expect("max-age=" in (response.getheader("Strict-Transport-Security") or ""), f"{what}: HSTS")
    expect(response.getheader("X-Content-Type-Options") == "nosniff", f"{what}: nosniff")


response, body = request("GET", "/healthz", proxied=False)
expect(response.status == 200 and body == "ok", "/healthz answers ok over plain HTTP")

response, _ = request("GET", "/login/", proxied=False)
expect(
    response.status == 301 and response.getheader("Location", "").startswith("https://"),
    "plain HTTP is redirected to HTTPS",
)

response, page = request("GET", "/login/")
expect(response.status == 200 and "登录工会两库" in page, "the login page renders (DEBUG off)")
hardened(response, "login page")
stylesheet = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', page)
expect(stylesheet, "static files are served under hashed names (collectstatic manifest)")
static, _ = request("GET", stylesheet.group(1))
expect(
    static.status == 200 and "max-age" in (static.getheader("Cache-Control") or ""),
    "WhiteNoise serves the hashed stylesheet with a long cache",
)

response, _ = request(
    "POST",
    "/login/",
    {
        "csrfmiddlewaretoken": csrf(page),
        "username": "collector",
        "password": "Gonghui@2026",
        "next": "/members/",
    },
)
expect(response.status == 302, f"the demo collector logs in (got {response.status})")

response, _ = request("GET", "/members/")
expect(
    response.status == 302 and "/pledge/" in response.getheader("Location", ""),
    "the member list waits for the confidentiality pledge",
)
response, page = request("GET", "/pledge/?next=/members/")
expect(response.status == 200 and "保密承诺书" in page, "the pledge page renders")
response, _ = request(
    "POST", "/pledge/", {"csrfmiddlewaretoken": csrf(page), "agree": "on", "next": "/members/"}
)
expect(
    response.status == 302 and response.getheader("Location") == "/members/", "the pledge is signed"
)

response, page = request("GET", "/members/")
expect(response.status == 200 and 'data-testid="member-table"' in page, "the member list renders")
expect(re.search(r"\d{6}\*{8}\d{3}[\dX]", page), "ID numbers are masked in the list")
hardened(response, "member list")
print("smoke test passed")
