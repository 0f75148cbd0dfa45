from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from unions import audit
from unions.forms import LoginForm
from unions.models import AuditEntry


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view, plus: the first-login flag is cleared and the change is audited.
    Django's own session-hash check ends the account's other sessions."""

    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        audit.record(AuditEntry.Action.PASSWORD_CHANGED, request=self.request, obj=user)
        messages.success(self.request, _("密码已修改。"))
        return response
