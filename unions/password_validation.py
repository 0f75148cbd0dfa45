"""Password rules with messages in Chinese where Django's catalogue has none."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy


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


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's says "密码跟 用户名 太相似了"; the pages call it 账号."""

    LABELS = {"username": _lazy("账号"), "first_name": _lazy("姓名"), "last_name": _lazy("姓名")}

    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError as error:
            attribute = next(
                (a for a in self.user_attributes if self._similar(password, user, a)), None
            )
            label = self.LABELS.get(attribute, _lazy("账号信息"))
            raise ValidationError(
                _("密码与%(what)s太相似，请换一个。") % {"what": label},
                code="password_too_similar",
            ) from error

    def _similar(self, password, user, attribute) -> bool:
        value = getattr(user, attribute, None)
        if not value or not isinstance(value, str):
            return False
        probe = password_validation.UserAttributeSimilarityValidator(
            user_attributes=(attribute,), max_similarity=self.max_similarity
        )
        try:
            probe.validate(password, user)
        except ValidationError:
            return True
        return False

    def get_help_text(self):
        return _("密码不能与账号或姓名太相似。")
