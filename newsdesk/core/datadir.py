"""Where Newsdesk keeps its data when NEWSDESK_DATA_DIR is not set."""

from pathlib import Path


def default_data_dir() -> Path:
    """The checkout's ./var when running from a checkout, else ./var in the working directory.

    Anchoring on the checkout (not the working directory) is what lets `newsdesk post-update`
    run from any folder and still reach the database that `make demo` is serving.
    """
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "newsdesk").is_dir():
        return checkout / "var"
    return Path.cwd() / "var"
