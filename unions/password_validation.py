"""Password rules with messages in Chinese where Django's catalogue has none."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短，至少要 %(min_length)d 位，现在只有 %(length)d 位。"),
                code="password_too_short",
                params={"min_length": self.min_length, "length": len(password)},
            )

    def get_help_text(self):
        return _("密码至少 %(min_length)d 位。") % {"min_length": self.min_length}
