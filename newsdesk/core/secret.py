"""The secret key: generated once per data directory, shared by every process that uses it."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "secret_key"


def load_or_create_secret_key(data_dir: Path) -> str:
    """Return the key kept in data_dir, creating it (mode 0600) on first use.

    The file is created with O_EXCL, so two processes starting at once cannot both write one:
    the loser reads the winner's key.
    """
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        key = secrets.token_urlsafe(50)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(key)
            return key
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"Cannot read the secret key file {path}: {error.strerror}. Make it readable by the "
            "user running Newsdesk (chmod 600, owned by that user), or set NEWSDESK_SECRET_KEY."
        ) from error
    if len(key) < 32:
        raise ImproperlyConfigured(
            f"The secret key file {path} is empty or too short. Delete it to have a new key "
            "generated (this signs everyone out), or set NEWSDESK_SECRET_KEY."
        )
    return key
