"""Masking of personal data in free text: every ID-number-like and mobile-like string.

One copy of the patterns for the member writer's history, the audit log
(`unions.audit.scrub` is this function) and the log filter (registry/logfilter.py).
Imports no model, so the log filter can use it before the apps are loaded."""

import re

from registry.validators import mask_id, mask_phone

# Anything shaped like an ID number (18 or 15 characters, digits with a final X)
# is masked before it is written, whatever the caller passed.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Likewise a mainland mobile number (11 digits from 13x to 19x).
_MOBILE_LIKE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")


def scrub(value):
    """`value` with every ID-number-like and mobile-like string masked, through dicts
    and lists. The member writer's history and the audit log both pass through here."""
    if isinstance(value, str):
        value = _ID_LIKE.sub(lambda m: mask_id(m.group(1).upper()), value)
        return _MOBILE_LIKE.sub(lambda m: mask_phone(m.group(1)), value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value
