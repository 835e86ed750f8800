"""Dates as readers see them: the newsroom's time zone, written the local way."""

from datetime import UTC, datetime

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation


def shown(moment, zone="Europe/Kyiv", language="en"):
    with timezone.override(zone), translation.override(language):
        return date_filter(timezone.localtime(moment), "DATETIME_FORMAT")


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # Winter: Kyiv is UTC+2.
        (datetime(2024, 1, 27, 13, 34, tzinfo=UTC), "January 27, 2024 3:34 PM"),
        # Summer: Kyiv is UTC+3.
        (datetime(2024, 7, 4, 6, 5, tzinfo=UTC), "July 4, 2024 9:05 AM"),
        # Just after local midnight, while UTC is still on the previous day.
        (datetime(2024, 1, 26, 22, 22, tzinfo=UTC), "January 27, 2024 12:22 AM"),
        # Noon is PM, midnight is AM.
        (datetime(2024, 1, 27, 10, 0, tzinfo=UTC), "January 27, 2024 12:00 PM"),
        # Either side of the spring change (March 31, 2024, 03:00 local -> 04:00).
        (datetime(2024, 3, 31, 0, 59, tzinfo=UTC), "March 31, 2024 2:59 AM"),
        (datetime(2024, 3, 31, 1, 0, tzinfo=UTC), "March 31, 2024 4:00 AM"),
        # Autumn change (October 27, 2024, 04:00 local -> 03:00): 3:30 happens twice.
        (datetime(2024, 10, 27, 0, 30, tzinfo=UTC), "October 27, 2024 3:30 AM"),
        (datetime(2024, 10, 27, 1, 30, tzinfo=UTC), "October 27, 2024 3:30 AM"),
    ],
)
def test_english_newsroom_time(utc, expected):
    assert shown(utc) == expected


def test_other_time_zone():
    moment = datetime(2024, 1, 27, 13, 34, tzinfo=UTC)
    assert shown(moment, zone="America/New_York") == "January 27, 2024 8:34 AM"
    assert shown(moment, zone="Asia/Tokyo") == "January 27, 2024 10:34 PM"


def test_ukrainian_is_written_the_local_way():
    moment = datetime(2024, 1, 27, 13, 34, tzinfo=UTC)
    assert shown(moment, language="uk") == "27 січня 2024 р., 15:34"


def test_iso_timestamps_carry_the_offset():
    with timezone.override("Europe/Kyiv"):
        winter = date_filter(timezone.localtime(datetime(2024, 1, 27, 13, 34, tzinfo=UTC)), "c")
        summer = date_filter(timezone.localtime(datetime(2024, 7, 4, 6, 5, tzinfo=UTC)), "c")
    assert winter == "2024-01-27T15:34:00+02:00"
    assert summer == "2024-07-04T09:05:00+03:00"
