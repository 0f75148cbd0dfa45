"""Rules for the project-level pages: home, login, logout, password change."""

from tests.authz import ALL_ROLES, Rule

RULES = {
    "home": Rule(roles=ALL_ROLES),
    # The login form answers everyone; logging out answers everyone with the login page.
    "login": Rule(roles=ALL_ROLES, anonymous=200),
    "logout": Rule(roles=ALL_ROLES, method="POST", ok=302),
    "password_change": Rule(roles=ALL_ROLES),
    # Issue 16: one's own second factor and the pledge. The matrix's admin is enrolled and
    # verified (tests/conftest.py), so setup and verify send it on; the others are not
    # enrolled, so setup shows the QR code and verify has nothing to ask.
    "unions:mfa_overview": Rule(roles=ALL_ROLES),
    "unions:mfa_setup": Rule(roles=ALL_ROLES, cells={("admin", "own"): 302}),
    "unions:mfa_verify": Rule(roles=ALL_ROLES, ok=302),
    "unions:mfa_codes": Rule(roles=ALL_ROLES),
    "unions:mfa_codes_renew": Rule(roles=ALL_ROLES, method="POST", ok=302),
    "unions:pledge": Rule(roles=ALL_ROLES),
}
