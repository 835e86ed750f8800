"""Refuse breached passwords and their everyday variations, offline; no composition rules.

The list is the one Django ships (django/contrib/auth/common-passwords.txt.gz, BSD licence):
the 20,000 most common passwords in Have I Been Pwned's Pwned Passwords, compiled by Royce
Williams. Django's own CommonPasswordValidator finds a password only when it is on the list as
typed; people pass it with "Summer2024!" or "P@ssw0rd1". This validator also looks up the
password with leading and trailing digits and punctuation removed and common letter
substitutions undone. Nothing leaves the machine.
"""

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SUBSTITUTIONS = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "$": "s",
                               "5": "s", "7": "t", "!": "i", "|": "l"})  # fmt: skip
EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def variations(password):
    """The forms of `password` to look up, each lowercased like the list."""
    lowered = password.strip().lower()
    stripped = EDGES.sub("", lowered)
    forms = {lowered, stripped, lowered.translate(SUBSTITUTIONS)}
    forms.add(EDGES.sub("", lowered.translate(SUBSTITUTIONS)))
    forms.add(stripped.translate(SUBSTITUTIONS))
    return {form for form in forms if len(form) >= 4}


class BreachedPasswordValidator(CommonPasswordValidator):
    def validate(self, password, user=None):
        if any(form in self.passwords for form in variations(password)):
            raise ValidationError(self.get_error_message(), code="password_breached")

    def get_error_message(self):
        return _(
            "This password, or a simple variation of it, is among the most common passwords "
            "found in data breaches. Choose another: a few unrelated words work well."
        )

    def get_help_text(self):
        return _("Your password can’t be a common breached password or a variation of one.")
