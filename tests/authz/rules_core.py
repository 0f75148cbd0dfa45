"""Rules for the project-level pages: home, login, logout, password change."""

from tests.authz import ALL_ROLES, Rule

RULES = {
    "home": Rule(roles=ALL_ROLES),
    # The login form answers everyone; logging out answers everyone with the login page.
    "login": Rule(roles=ALL_ROLES, anonymous=200),
    "logout": Rule(roles=ALL_ROLES, method="POST", ok=302),
    "password_change": Rule(roles=ALL_ROLES),
}
