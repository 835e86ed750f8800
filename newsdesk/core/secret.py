"""Secrets generated once per data directory and shared by every process that uses it."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "secret_key"


def private_token(path: Path, nbytes: int) -> str:
    """The token kept in path, created (mode 0600) with a new random one on first use.

    The file is created with O_EXCL, so when two processes start at once only one writes and
    both read the same token. Reading errors (OSError) are the caller's to explain.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def write_private(path: Path, text: str) -> None:
    """Write text to path, readable only by its owner (0600), replacing it in one step."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def load_or_create_secret_key(data_dir: Path) -> str:
    """Django's SECRET_KEY, from data_dir/secret_key, with a clear error when it is unusable."""
    path = data_dir / KEY_FILE_NAME
    try:
        key = private_token(path, 50)
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
