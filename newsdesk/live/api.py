"""The live updates API: `POST /api/live/<slug>/updates`, for bots, scripts and wire tools.

Requests authenticate with a Wagtail API token (`newsdesk token create USER`), never with a
session cookie, which is why the view is exempt from CSRF. The token acts as its user: it needs
live.add_liveupdate to post, and without live.publish_liveupdate every update is a draft.
docs/api.md is the guide; `GET /api/live/openapi.json` is the reference (api_schema.py).
"""

import datetime
import json
import math
import re
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, ValidationError
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from wagtail.api.rich_text import APIRichText, RichTextFormatError
from wagtail.api.v3.auth import BearerTokenAuth
from wagtail.models import APIToken

from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.live.actions import post_update
from newsdesk.live.models import LIVE_BODY_FEATURES, LiveFeedPage, LiveUpdate
from newsdesk.live.text import paragraphs, without_declarations

# At most RATE_LIMIT requests per token per RATE_WINDOW seconds (a fixed window).
RATE_LIMIT = 60
RATE_WINDOW = 60

# JSON field -> LiveUpdate field. Anything else in a request is an error.
FIELDS = {
    "headline": "headline",
    "body": "body",
    "source": "source_name",
    "source_url": "source_url",
    "source_channel": "source_channel",
    "verification": "verification",
    "key_event": "is_key_event",
    "pinned": "is_pinned",
    "published_at": "published_at",
    "source_time": "source_time",
}
STRING_FIELDS = ["headline", "source", "source_url", "source_channel", "verification"]
BOOLEAN_FIELDS = ["key_event", "pinned"]
TIME_FIELDS = ["published_at", "source_time"]
# Rich text body formats -> Wagtail's API input formats ("text" is ours: plain paragraphs).
BODY_FORMATS = {"text": None, "html": "db_html", "markdown": "db_markdown"}
ALL = NON_FIELD_ERRORS  # "__all__": errors about the request rather than one field

REQUIRED = "This field is required."
UNSTORABLE = "Contains a NUL character or an unpaired surrogate, which cannot be stored."
# NUL: PostgreSQL text refuses it. Unpaired surrogates: JSON's \ud800 escapes decode to them,
# and they have no UTF-8 form, so no database, page or feed could hold them.
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _errors(status, errors, **headers):
    response = JsonResponse(
        {"errors": errors}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unauthorized(message, *, invalid=False):
    challenge = 'Bearer realm="newsdesk"'
    if invalid:
        challenge += ', error="invalid_token"'
    return _errors(401, {ALL: [message]}, WWW_Authenticate=challenge)


def _presented_token(request):
    """The token from `Authorization: Bearer <token>` (or `Token <token>`), or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() not in {"bearer", "token"}:
        return None
    return token.strip() or None


def _authenticate(request):
    """The APIToken for this request, or None. Sets request.user either way.

    Wagtail's own bearer authentication does the lookup (by digest, current and fallback
    secret keys, not revoked, active user) and records last_used_at.
    """
    token = _presented_token(request)
    if token is None or not APIToken.validate_token_format(token):
        request.user = AnonymousUser()  # a session cookie must never stand in for a token
        return None
    return BearerTokenAuth().authenticate(request, token)


def _clock():
    return time.time()


def _retry_after(api_token):
    """0 if the token may post now, else the seconds until its window reopens."""
    now = _clock()
    window = int(now // RATE_WINDOW)
    key = f"live-api-rate:{api_token.pk}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW + 5)
        count = 1
    if count <= RATE_LIMIT:
        return 0
    return max(1, math.ceil((window + 1) * RATE_WINDOW - now))


def _parse_time(value):
    if not isinstance(value, str):
        return None, "Give a date and time as an ISO 8601 string."
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        return None, "Not a valid ISO 8601 date and time, e.g. 2025-05-01T14:30:00+03:00."
    if parsed.tzinfo is None:
        return None, "Give a time zone offset, e.g. 2025-05-01T14:30:00+03:00 or ...T11:30:00Z."
    try:
        # Stored in UTC: 9999-12-31T23:00:00-05:00 has no UTC form.
        return parsed.astimezone(datetime.UTC), None
    except OverflowError:
        return None, "Out of range: give a time between the years 1 and 9999 in UTC."


def _parse_body(value):
    """(database HTML, warnings, error) for the body field."""
    if isinstance(value, str):
        return paragraphs(value), [], None
    if not isinstance(value, dict):
        return None, [], "Give plain text, or an object with 'format' and 'content'."
    unknown = sorted(set(value) - {"format", "content"})
    if unknown:
        return None, [], f"Unknown key(s) in body: {', '.join(unknown)}."
    body_format, content = value.get("format", "text"), value.get("content")
    if body_format not in BODY_FORMATS:
        return None, [], f"Unknown body format {body_format!r}: use text, html or markdown."
    if not isinstance(content, str):
        return None, [], "The body's 'content' must be a string."
    if BODY_FORMATS[body_format] is None:
        return paragraphs(content), [], None
    dropped = 0
    if body_format == "html":
        # Before the whitelist, which adds a line break after each doctype it keeps.
        content, dropped = without_declarations(content)
    try:
        cleaned, removals = APIRichText.convert_input(
            {"format": BODY_FORMATS[body_format], "content": content},
            features=LIVE_BODY_FEATURES,
        )
    except RichTextFormatError as error:
        return None, [], str(error)
    warnings = [
        f"body: <{removal.tag}> {removal.action} ({removal.reason.replace('_', ' ')})"
        for removal in removals
    ]
    if body_format == "markdown":
        # Markdown may carry raw HTML, which exists only once it is converted.
        cleaned, dropped = without_declarations(cleaned)
    if dropped:
        warnings.append("body: <![CDATA[…]]>, <?…?> or <!DOCTYPE> removed with its content")
    return cleaned, warnings, None


def _strings(value):
    """Every string in decoded JSON, keys included (a loop: nesting can be deep)."""
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            pending += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            pending += value


def _unstorable(data):
    """{field: [UNSTORABLE]} for the fields holding text that cannot be stored."""
    errors = {}
    for name, value in data.items():
        if _UNSTORABLE_CHARACTER.search(name):
            # The name cannot be sent back either: JSON in UTF-8 cannot carry it.
            errors[ALL] = [f"A field name: {UNSTORABLE}"]
        elif any(_UNSTORABLE_CHARACTER.search(text) for text in _strings(value)):
            errors[name] = [UNSTORABLE]
    return errors


def parse_update(data):
    """(model fields, warnings, errors) from a request's decoded JSON."""
    if not isinstance(data, dict):
        return {}, [], {ALL: ["The request body must be a JSON object."]}
    unstorable = _unstorable(data)
    data = {
        name: value
        for name, value in data.items()
        if name not in unstorable and not _UNSTORABLE_CHARACTER.search(name)
    }
    errors, fields, warnings = {}, {}, []
    for name in sorted(set(data) - set(FIELDS)):
        errors[name] = [f"Unknown field. Known fields: {', '.join(FIELDS)}."]
    if data.get("headline") in (None, ""):
        errors["headline"] = [REQUIRED]
    for name in STRING_FIELDS:
        value = data.get(name)
        if value is None or name in errors:
            continue
        if isinstance(value, str):
            fields[FIELDS[name]] = value.strip()
        else:
            errors[name] = ["Must be a string."]
    for name in BOOLEAN_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            fields[FIELDS[name]] = value
        else:
            errors[name] = ["Must be true or false."]
    for name in TIME_FIELDS:
        if data.get(name) is None:
            continue
        parsed, error = _parse_time(data[name])
        if error:
            errors[name] = [error]
        else:
            fields[FIELDS[name]] = parsed
    if data.get("body") is not None:
        body, body_warnings, error = _parse_body(data["body"])
        if error:
            errors["body"] = [error]
        else:
            fields["body"] = body
            warnings += body_warnings
    errors.update(unstorable)
    return fields, warnings, errors


def _model_errors(error):
    """A model ValidationError as {json field: [messages]}."""
    to_json = {model: name for name, model in FIELDS.items()}
    if not hasattr(error, "error_dict"):
        return {ALL: error.messages}
    return {to_json.get(field, ALL): messages for field, messages in error.message_dict.items()}


def _model_check(feed, fields, errors):
    """The model's messages for the fields that parsed, so one answer lists every problem."""
    skip = [FIELDS[name] for name in errors if name in FIELDS]
    try:
        LiveUpdate(feed=feed, **fields).full_clean(exclude=["sequence", "feed", *skip])
    except ValidationError as error:
        return _model_errors(error)
    return {}


@csrf_exempt  # token-authenticated: no cookie is ever accepted, so no CSRF to forge
def post_update_view(request, slug):
    """Post one live update to the feed `slug` as the token's user."""
    if request.method != "POST":
        return _errors(405, {ALL: ["Use POST."]}, Allow="POST")

    if _presented_token(request) is None:
        return _unauthorized("Send an API token: Authorization: Bearer <token>.")
    api_token = _authenticate(request)
    if api_token is None:
        return _unauthorized("The token is not valid or has been revoked.", invalid=True)
    user = api_token.user
    if not user.has_perm("live.add_liveupdate"):
        return _errors(403, {ALL: ["This token's user may not post live updates."]})

    retry_after = _retry_after(api_token)
    if retry_after:
        message = f"More than {RATE_LIMIT} requests a minute; retry in {retry_after} seconds."
        return _errors(429, {ALL: [message]}, Retry_After=str(retry_after))

    feed = LiveFeedPage.objects.live().filter(slug=slug).first()
    if feed is None:
        return _errors(404, {ALL: [f"No published live feed with slug {slug!r}."]})

    try:
        data = json.loads(request.body or b"")
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _errors(413, {ALL: [f"The request body is larger than {limit} bytes."]})
    except (ValueError, UnicodeDecodeError) as error:
        return _errors(400, {ALL: [f"The request body is not valid JSON: {error}"]})
    except RecursionError:
        return _errors(400, {ALL: ["The request body is nested too deeply."]})
    fields, warnings, errors = parse_update(data)
    if errors:
        return _errors(400, {**_model_check(feed, fields, errors), **errors})

    publish = user.has_perm("live.publish_liveupdate")
    try:
        update = post_update(feed, user=user, publish=publish, **fields)
    except ValidationError as error:
        return _errors(400, _model_errors(error))

    url = absolute(update.get_absolute_url())
    body = {
        "id": update.pk,
        "sequence": update.sequence,
        "url": url,
        "published": update.is_published,
        "warnings": warnings,
    }
    if not update.is_published:
        body["warnings"].append(
            "Saved as a draft: this token's user may not publish. An editor can publish it."
        )
    response = JsonResponse(body, status=201, json_dumps_params={"ensure_ascii": False})
    response["Location"] = url
    return response
