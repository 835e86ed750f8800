"""The live updates API: `POST /api/live/<slug>/updates`, for bots, scripts and wire tools.

It is a django-ninja API (`api` below, mounted at /api/live/ in newsdesk/urls.py): pydantic
checks the request body against `LiveUpdateInput`, and ninja writes the OpenAPI document,
`GET /api/live/openapi.json`, from the same classes. docs/api.md is the guide. A picture (an
image library id with its alt text) and an embed link go through live/media.py, the desk's
own checks.

Requests authenticate with a Wagtail API token (`newsdesk token create USER`), never with a
session cookie: Wagtail's BearerTokenAuth replaces request.user with the token's user (or an
anonymous one), which is why ninja's views may be exempt from CSRF. The token acts as its user:
it needs live.add_liveupdate to post, and without live.publish_liveupdate every update is a
draft.

Every refusal answers in one shape, `{"errors": {field: [messages]}}` (`__all__` for the
request as a whole), so ninja's own error answers ({"detail": ...}, 422) are replaced below.
"""

import datetime
import json
import math
import re
import time
from typing import Annotated, Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime
from ninja import Field, File, Form, NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.files import UploadedFile
from ninja.parser import Parser
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Discriminator, StrictBool, Tag
from pydantic_core import PydanticCustomError
from wagtail.api.rich_text import APIRichText, RichTextFormatError
from wagtail.api.v3.auth import BearerTokenAuth
from wagtail.images import get_image_model
from wagtail.models import APIToken

from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.live import media
from newsdesk.live.actions import post_update
from newsdesk.live.models import LIVE_BODY_FEATURES, LiveFeedPage, LiveUpdate, Verification
from newsdesk.live.text import paragraphs, without_declarations

# At most RATE_LIMIT requests per token per RATE_WINDOW seconds (a fixed window).
RATE_LIMIT = 60
RATE_WINDOW = 60

# JSON field -> LiveUpdate field. LiveUpdateInput has exactly these; anything else is an error.
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
    "embed_url": "embed_url",
    "image": "image",
}
# The picture's LiveUpdate fields -> their keys in the JSON `image` object.
IMAGE_KEYS = {"image_alt": "alt", "image_caption": "caption", "image_credit": "credit"}
# Rich text body formats -> Wagtail's API input formats ("text" is ours: plain paragraphs).
BODY_FORMATS = {"text": None, "html": "db_html", "markdown": "db_markdown"}
ALL = NON_FIELD_ERRORS  # "__all__": errors about the request rather than one field

REQUIRED = "This field is required."
UNSTORABLE = "Contains a NUL character or an unpaired surrogate, which cannot be stored."
BODY_SHAPE = "Give plain text, or an object with 'format' and 'content'."
# NUL: PostgreSQL text refuses it. Unpaired surrogates: JSON's \ud800 escapes decode to them,
# and they have no UTF-8 form, so no database, page or feed could hold them. (Pydantic refuses
# them only where it changes a string, such as stripping it: error type string_unicode.)
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_NO_NUL = "^[^\\u0000]*$"  # NUL only, for the OpenAPI document: a pattern cannot name surrogates
# What the server's URL check accepts (Django's URLValidator, http and https), as a pattern
# for the document only: "format: uri" alone admits addresses such as "search:" that the
# server refuses, and schemathesis would send them as valid.
_WEB_ADDRESS = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://"
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,10}"
    r"(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~%/-]*)?$"
)


# --- Errors ------------------------------------------------------------------------------


class Refused(Exception):
    """An answer other than 201: `status`, `{"errors": errors}` and any headers."""

    def __init__(self, status, errors, **headers):
        super().__init__(status, errors)
        self.status, self.errors, self.headers = status, errors, headers

    def response(self):
        response = JsonResponse(
            {"errors": self.errors}, status=self.status, json_dumps_params={"ensure_ascii": False}
        )
        for name, value in self.headers.items():
            response[name.replace("_", "-")] = value
        return response


def _refused(message, status=400, **headers):
    return Refused(status, {ALL: [message]}, **headers)


# --- The request body --------------------------------------------------------------------


class _Described:
    """Adds keys to a type's JSON schema without checking them (the server checks otherwise)."""

    def __init__(self, **keys):
        self.keys = keys

    def __get_pydantic_json_schema__(self, core_schema, handler):
        return {**handler(core_schema), **self.keys}


def _storable(text):
    if _UNSTORABLE_CHARACTER.search(text):
        raise PydanticCustomError("unstorable", UNSTORABLE)
    return text


def _time(value):
    """An aware datetime in UTC from an ISO 8601 string, with messages a person can act on."""
    if not isinstance(value, str):
        raise PydanticCustomError("time", "Give a date and time as an ISO 8601 string.")
    _storable(value)  # Python's ISO parser takes any character between the time and its offset
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise PydanticCustomError(
            "time", "Not a valid ISO 8601 date and time, e.g. 2025-05-01T14:30:00+03:00."
        )
    if parsed.tzinfo is None:
        raise PydanticCustomError(
            "time", "Give a time zone offset, e.g. 2025-05-01T14:30:00+03:00 or ...T11:30:00Z."
        )
    try:
        # Stored in UTC: 9999-12-31T23:00:00-05:00 has no UTC form.
        return parsed.astimezone(datetime.UTC)
    except OverflowError:
        raise PydanticCustomError(
            "time", "Out of range: give a time between the years 1 and 9999 in UTC."
        ) from None


def _model_field_check(name):
    """The model field's own validators (lengths, Django's URL check), as pydantic errors."""

    def check(value):
        if value:
            try:
                LiveUpdate._meta.get_field(name).run_validators(value)
            except ValidationError as error:
                raise PydanticCustomError("model", " ".join(error.messages)) from None
        return value

    return AfterValidator(check)


def _embed(url):
    """media.clean_embed_url, the desk's check (it also turns http:// into https://)."""
    try:
        return media.clean_embed_url(url)
    except ValidationError as error:
        raise PydanticCustomError("embed", " ".join(error.messages)) from None


def _max(name):
    return LiveUpdate._meta.get_field(name).max_length


Text = Annotated[str, AfterValidator(_storable), _Described(pattern=_NO_NUL)]
Time = Annotated[datetime.datetime, BeforeValidator(_time)]


class RichTextBody(Schema):
    model_config = ConfigDict(extra="forbid")

    format: Literal["text", "html", "markdown"] = "text"
    content: Text


def _body_kind(value):
    if isinstance(value, str):
        return "plain"
    if isinstance(value, dict | RichTextBody):
        return "formatted"
    return None


Body = Annotated[
    Annotated[Text, Tag("plain")] | Annotated[RichTextBody, Tag("formatted")],
    Discriminator(_body_kind, custom_error_type="body", custom_error_message=BODY_SHAPE),
    Field(
        description=(
            "Plain text (blank lines separate paragraphs), or an object giving the format. "
            "HTML and Markdown are cleaned to what live updates allow: bold, italic, links "
            "and lists."
        )
    ),
]
_BODY_TAGS = {"plain", "formatted"}  # how pydantic names the union's members in an error


class LiveImage(Schema):
    """A picture from the image library, as the desk's library picker attaches one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: int = Field(description="The image's id in the image library.")
    alt: Text = Field(
        min_length=1,
        max_length=media.ALT_MAX,
        description="What the picture shows, for readers who cannot see it.",
    )
    caption: Text = Field("", max_length=media.CAPTION_MAX)
    credit: Text = Field(
        "", max_length=media.CREDIT_MAX, description="Empty: the image's own credit is shown."
    )


class LiveUpdateInput(Schema):
    """One update. `null` is the same as leaving a field out (except for headline)."""

    # Strings are stripped before their lengths are checked, as the desk does.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    headline: Text = Field(min_length=1, max_length=_max("headline"))
    body: Body | None = None
    source: Text | None = Field(
        None,
        max_length=_max("source_name"),
        description="Who reported it, e.g. 'the regional administration'.",
    )
    source_channel: Text | None = Field(
        None,
        max_length=_max("source_channel"),
        description="Where it was reported, e.g. 'Telegram'.",
    )
    # An empty string means no link, as for the other source fields.
    source_url: (
        Annotated[
            Text,
            _model_field_check("source_url"),
            _Described(anyOf=[{"format": "uri", "pattern": _WEB_ADDRESS}, {"maxLength": 0}]),
        ]
        | None
    ) = Field(
        None,
        max_length=_max("source_url"),
        description="Link to the primary source (http or https), or ''.",
    )
    source_time: Time | None = Field(
        None, description="When the source reported it (with a UTC offset)."
    )
    verification: Verification | None = Field(None, description="Default: unverified.")
    key_event: StrictBool | None = Field(None, description="Listed among the key events.")
    pinned: StrictBool | None = Field(None, description="Shown first on the feed.")
    published_at: Time | None = Field(
        None, description="Shown time, with a UTC offset; default: now."
    )
    embed_url: (
        Annotated[
            Text,
            AfterValidator(_embed),
            _Described(anyOf=[{"format": "uri", "pattern": _WEB_ADDRESS}, {"maxLength": 0}]),
        ]
        | None
    ) = Field(
        None,
        max_length=media.EMBED_MAX,
        description=(
            "A video or post shown with the update (YouTube and Vimeo play in the page once "
            "the reader asks; anything else is a link card), or ''."
        ),
    )
    image: LiveImage | None = None


class LiveUpdateCreated(Schema):
    id: int
    sequence: int = Field(description="The feed's sequence number of this change.")
    url: str = Field(json_schema_extra={"format": "uri"})
    published: bool = Field(description="false: saved as a draft for an editor to publish.")
    warnings: list[str] = Field(description="E.g. markup removed from the body.")


class Errors(Schema):
    errors: dict[str, list[str]] = Field(
        description="Messages by field; `__all__` is about the request as a whole."
    )


class JsonBody(Parser):
    """Decodes the JSON body with a message for each way it can fail (ninja's own parser
    answers only "Cannot parse request body"). Ninja wraps what this raises in an
    HttpError(400); _http_error unwraps ours."""

    def parse_body(self, request):
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise _refused(f"The request body is not valid JSON: {error}") from None
        except RecursionError:
            raise _refused("The request body is nested too deeply.") from None


def _parse_body(value):
    """(database HTML, warnings, error) for a body: plain text or {"format", "content"}."""
    if isinstance(value, str):
        return paragraphs(value), [], None
    body_format, content = value.get("format", "text"), value["content"]
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


# Pydantic's error types -> our messages (other types keep pydantic's own message).
MESSAGES = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,
    "string_type": "Must be a string.",
    "bool_type": "Must be true or false.",
    "string_unicode": UNSTORABLE,
    "extra_forbidden": f"Unknown field. Known fields: {', '.join(FIELDS)}.",
}


def _field_errors(errors):
    """Ninja's validation errors as {json field: [messages]}."""
    result = {}
    for error in errors:
        # loc is ("body", "payload", field, ...): the request body, the view's name for it.
        path = [str(part) for part in error["loc"][2:] if part not in _BODY_TAGS]
        if not path:  # the body as a whole
            if error["type"] == "string_unicode":  # a field's name: it cannot be sent back
                message = f"A field name: {UNSTORABLE}"
            else:
                message = "The request body must be a JSON object."
            result.setdefault(ALL, []).append(message)
            continue
        message = MESSAGES.get(error["type"], error["msg"])
        if len(path) > 1:  # inside the body object
            if error["type"] == "extra_forbidden":
                message = "Unknown key. Known keys: format, content."
            message = f"{'.'.join(path[1:])}: {message}"
        result.setdefault(path[0], []).append(message)
    return result


def _model_errors(error):
    """A model ValidationError as {json field: [messages]}; the picture's under `image`."""
    to_json = {model: name for name, model in FIELDS.items()}
    if not hasattr(error, "error_dict"):
        return {ALL: error.messages}
    errors = {}
    for field, messages in error.message_dict.items():
        if field in IMAGE_KEYS:
            messages = [f"{IMAGE_KEYS[field]}: {message}" for message in messages]
            field = "image"
        errors.setdefault(to_json.get(field, ALL), []).extend(messages)
    return errors


def _attach_image(feed, fields, picture, user):
    """The picture's LiveUpdate fields, checked by media.attach_image as the desk does."""
    image = get_image_model().objects.filter(pk=picture["id"]).first()
    if image is None:
        raise Refused(400, {"image": [f"id: No image with id {picture['id']} in the library."]})
    try:
        return media.attach_image(
            LiveUpdate(feed=feed, **fields),
            image=image,
            alt=picture["alt"],
            caption=picture["caption"],
            credit=picture["credit"],
            user=user,
        )
    except ValidationError as error:
        raise Refused(400, _model_errors(error)) from None


# --- Tokens and the rate limit -----------------------------------------------------------


def _presented_token(request):
    """The token from `Authorization: Bearer <token>` (or `Token <token>`), or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() not in {"bearer", "token"}:
        return None
    return token.strip() or None


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


class TokenAuth(BearerTokenAuth):
    """Wagtail's bearer token lookup (by digest, current and fallback secret keys, not revoked,
    active user; records last use), also taking `Token <token>`, then the permission to post
    and the rate limit, so every refusal comes before the body is read, in this order."""

    def __call__(self, request):
        request.user = AnonymousUser()  # a session cookie must never stand in for a token
        token = _presented_token(request)
        if token is None:
            raise _unauthorized("Send an API token: Authorization: Bearer <token>.")
        api_token = None
        if APIToken.validate_token_format(token):
            api_token = self.authenticate(request, token)
        if api_token is None:
            raise _unauthorized("The token is not valid or has been revoked.", invalid=True)
        if not api_token.user.has_perm("live.add_liveupdate"):
            raise _refused("This token's user may not post live updates.", 403)
        retry_after = _retry_after(api_token)
        if retry_after:
            message = f"More than {RATE_LIMIT} requests a minute; retry in {retry_after} seconds."
            raise _refused(message, 429, Retry_After=str(retry_after))
        return api_token


def _unauthorized(message, *, invalid=False):
    challenge = 'Bearer realm="newsdesk"'
    if invalid:
        challenge += ', error="invalid_token"'
    return _refused(message, 401, WWW_Authenticate=challenge)


# --- The API -----------------------------------------------------------------------------


class LiveAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja's document, plus what it has no parameter for: the server's address and
        the scheme name clients have used since the document was written by hand."""
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document["servers"] = [{"url": settings.NEWSDESK_BASE_URL}]
        schemes = document["components"].get("securitySchemes", {})
        if "TokenAuth" in schemes:
            schemes["bearerAuth"] = {
                **schemes.pop("TokenAuth"),
                "description": (
                    "A Wagtail API token (`wagtail_…`), from `newsdesk token create USER` or "
                    "the admin's API tokens screen. `Authorization: Token <token>` works too."
                ),
            }
        for item in document["paths"].values():
            for operation in item.values():
                operation["security"] = [
                    {"bearerAuth" if name == "TokenAuth" else name: scopes}
                    for requirement in operation.get("security", [])
                    for name, scopes in requirement.items()
                ]
        return document


api = LiveAPI(
    title="Newsdesk live updates API",
    version="1.0.0",
    description=(
        "Post updates to a live feed from scripts, bots and wire tools. Authenticate with a "
        "Wagtail API token (`newsdesk token create USER`). A token acts as its user: it needs "
        "permission to add live updates, and updates from users who may not publish are "
        f"saved as drafts. Each token may send {RATE_LIMIT} requests a minute."
    ),
    urls_namespace="live-api",
    openapi_url=None,  # served by `openapi` below, so that the document lists itself
    docs_url=None,
    parser=JsonBody(),
    openapi_extra={"security": [{"bearerAuth": []}]},
)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    """Django answers the rest, in DEBUG too (ninja would send a traceback): a database
    outage or a full disk becomes a 503 with Retry-After (core/db_errors.py and
    core/storage_errors.py)."""
    raise exc


@api.exception_handler(Refused)
def _refusal(request, exc):
    return exc.response()


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if isinstance(exc.__cause__, Refused):  # from JsonBody
        return exc.__cause__.response()
    return _refused(exc.message, exc.status_code).response()


@api.exception_handler(RequestInvalid)
def _invalid(request, exc):
    return Refused(400, _field_errors(exc.errors)).response()


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _refused(f"The request body is larger than {limit} bytes.", 413).response()


def _documented(description, **headers):
    answer = {"description": description}
    if headers:
        answer["headers"] = headers
    return answer


_RETRY_AFTER = {
    "description": "Seconds to wait before sending again.",
    "schema": {"type": "integer", "minimum": 1},
}


@api.post(
    "/{slug}/updates",
    auth=TokenAuth(),
    url_name="updates",
    operation_id="postLiveUpdate",
    summary="Post a live update",
    description=(
        "Creates an update on the feed and tells readers' open pages at once. Returns its "
        "sequence number: every change to a feed takes the next one."
    ),
    tags=["live"],
    response={201: LiveUpdateCreated, frozenset({400, 401, 403, 404, 405, 413, 429, 503}): Errors},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "plain": {
                            "summary": "A sourced update in plain text",
                            "value": {
                                "headline": "Power restored in the eastern districts",
                                "body": "Crews finished the repairs at 14:10.\n\n"
                                "Some streets may stay dark for another hour.",
                                "source": "City energy company",
                                "source_channel": "Telegram",
                                "source_url": "https://t.me/example/123",
                                "verification": "official",
                                "key_event": True,
                            },
                        },
                        "markdown": {
                            "summary": "A body in Markdown",
                            "value": {
                                "headline": "Shelters open",
                                "body": {
                                    "format": "markdown",
                                    "content": "**Three** shelters opened: "
                                    "[list](https://example.org/shelters).",
                                },
                            },
                        },
                    }
                }
            }
        },
        "responses": {
            201: _documented(
                "Posted (or saved as a draft: see `published`).",
                Location={
                    "description": "The update's permalink.",
                    "schema": {"type": "string", "format": "uri"},
                },
            ),
            400: _documented(
                "The body is not JSON, or fields are missing, unknown or invalid. `errors` "
                "maps each field to its messages; `__all__` is about the request as a whole."
            ),
            401: _documented(
                "No token, or a token that is not valid or has been revoked.",
                **{
                    "WWW-Authenticate": {
                        "description": 'Always `Bearer realm="newsdesk"`.',
                        "schema": {"type": "string"},
                    }
                },
            ),
            403: _documented("The token's user may not post live updates."),
            404: _documented("No published live feed has this slug."),
            405: _documented(
                "Only POST is allowed.",
                Allow={"schema": {"type": "string", "const": "POST"}},
            ),
            413: _documented(
                "The request body is larger than the server accepts "
                "(DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB by default)."
            ),
            429: _documented(
                f"The token sent more than {RATE_LIMIT} requests this minute.",
                **{"Retry-After": _RETRY_AFTER},
            ),
            503: _documented(
                "The database cannot be reached or the disk is full: nothing was saved. "
                "Send the update again after Retry-After seconds.",
                **{"Retry-After": _RETRY_AFTER},
            ),
        },
    },
)
def post_live_update(request, response: HttpResponse, slug: str, payload: LiveUpdateInput):
    """Post one live update to the feed `slug` as the token's user."""
    feed = LiveFeedPage.objects.live().filter(slug=slug).first()
    if feed is None:
        raise _refused(f"No published live feed with slug {slug!r}.", 404)

    data = payload.model_dump(exclude_none=True)
    picture = data.pop("image", None)
    fields = {FIELDS[name]: value for name, value in data.items()}
    warnings = []
    if "body" in data:
        fields["body"], warnings, error = _parse_body(data["body"])
        if error:
            raise Refused(400, {"body": [error]})

    user = request.auth.user
    if picture is not None:
        fields |= _attach_image(feed, fields, picture, user)
    publish = user.has_perm("live.publish_liveupdate")
    try:
        update = post_update(feed, user=user, publish=publish, **fields)
    except ValidationError as error:
        raise Refused(400, _model_errors(error)) from None

    if not update.is_published:
        warnings.append(
            "Saved as a draft: this token's user may not publish. An editor can publish it."
        )
    url = absolute(update.get_absolute_url())
    response["Location"] = url
    return Status(
        201,
        {
            "id": update.pk,
            "sequence": update.sequence,
            "url": url,
            "published": update.is_published,
            "warnings": warnings,
        },
    )


@api.api_operation(
    ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"],
    "/{slug}/updates",
    auth=None,
    include_in_schema=False,
)
def other_methods(request, slug: str):
    """Any other method: our 405 answer, with a body like every other refusal."""
    raise _refused("Use POST.", 405, Allow="POST")


class LibraryImage(Schema):
    id: int = Field(description="The image's id: give it as `image.id` in an update.")
    title: str
    width: int
    height: int


@api.post(
    "/images",
    auth=TokenAuth(),
    url_name="images",
    operation_id="uploadImage",
    summary="Add a picture to the image library",
    description=(
        "Stores a JPEG, PNG or WebP file in the image library through the same checks as an "
        "editor's upload (type read from the bytes, size and pixel limits, metadata removed, "
        "re-encoded). Returns its id, for the `image` of an update."
    ),
    tags=["live"],
    response={201: LibraryImage, frozenset({400, 401, 403, 413, 429, 503}): Errors},
)
def upload_image(
    request,
    file: File[UploadedFile],
    title: Form[str] = "",
    credit: Form[str] = "",
):
    """One picture into the library, as the token's user."""
    try:
        image = media.add_to_library(file, title=title, credit=credit, user=request.auth.user)
    except ValidationError as error:
        raise Refused(400, error.message_dict) from None
    return Status(
        201, {"id": image.pk, "title": image.title, "width": image.width, "height": image.height}
    )


@api.get(
    "/openapi.json",
    auth=None,
    url_name="openapi",
    operation_id="getOpenApiDocument",
    summary="This document",
    tags=["meta"],
    response={200: dict},
    openapi_extra={"responses": {200: {"description": "The OpenAPI 3.1 description of this API."}}},
)
def openapi(request):
    """The OpenAPI 3.1 description of this API, as ninja generates it."""
    response = JsonResponse(openapi_document(), json_dumps_params={"indent": 2})
    patch_cache_control(response, public=True, max_age=300)
    return response


def openapi_document():
    """The document as plain JSON data (ninja's holds tuples and integer status keys)."""
    return json.loads(json.dumps(api.get_openapi_schema()))
