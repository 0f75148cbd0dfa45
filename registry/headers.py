"""Headers on every response that is not a static file (WhiteNoise answers those before
this middleware): no caching anywhere (pages and downloads hold personal data, and a
shared office computer's browser cache is the easiest leak), and a Permissions-Policy
that switches off device features the registry never uses."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.headers["Cache-Control"] = (
            "no-store, no-cache, must-revalidate, private, max-age=0"
        )
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
