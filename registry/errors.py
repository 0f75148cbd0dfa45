from django.template.response import TemplateResponse


class MethodNotAllowedPageMiddleware:
    """Django answers a GET on a POST-only address (a bookmarked button, a reloaded
    form) with an empty 405; people get a page in Chinese that says what to do instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = TemplateResponse(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page.render()
        return response
