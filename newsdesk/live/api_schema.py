"""The OpenAPI 3.1 document of the live updates API (served at /api/live/openapi.json)."""

import json

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from newsdesk.live.api import BODY_FORMATS, RATE_LIMIT
from newsdesk.live.models import LiveUpdate, Verification


@require_GET
@cache_control(public=True, max_age=300)
def openapi(request):
    """The OpenAPI 3.1 description of this API."""
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 2})


def openapi_document():
    document = json.loads(json.dumps(OPENAPI))  # a deep copy
    document["servers"] = [{"url": settings.NEWSDESK_BASE_URL}]
    return document


_error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}


def _error_response(description, **extra):
    return {"description": description, "content": _error_body, **extra}


def _optional(schema):
    """An optional input field: null is accepted and means the same as leaving it out."""
    schema = dict(schema)
    if "oneOf" in schema:
        schema["oneOf"] = [*schema["oneOf"], {"type": "null"}]
    else:
        schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


_headline = LiveUpdate._meta.get_field("headline")
# Text may hold any character except NUL, which PostgreSQL cannot store (the API answers 400).
_NO_NUL = "^[^\\u0000]*$"
# What the server's URL check accepts (Django's URLValidator, http and https), as a pattern:
# "format: uri" alone admits addresses such as "search:" that the server refuses.
_WEB_ADDRESS = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://"
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,10}"
    r"(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~%/-]*)?$"
)

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "Newsdesk live updates API",
        "version": "1.0.0",
        "description": (
            "Post updates to a live feed from scripts, bots and wire tools. Authenticate "
            "with a Wagtail API token (`newsdesk token create USER`). A token acts as its "
            "user: it needs permission to add live updates, and updates from users who may "
            f"not publish are saved as drafts. Each token may send {RATE_LIMIT} requests "
            "a minute."
        ),
    },
    "servers": [],
    "security": [{"bearerAuth": []}],
    "paths": {
        "/api/live/{slug}/updates": {
            "parameters": [
                {
                    "name": "slug",
                    "in": "path",
                    "required": True,
                    "description": "The live feed's slug, as in /live/<slug>/.",
                    "schema": {"type": "string"},
                }
            ],
            "post": {
                "operationId": "postLiveUpdate",
                "summary": "Post a live update",
                "description": (
                    "Creates an update on the feed and tells readers' open pages at once. "
                    "Returns its sequence number: every change to a feed takes the next one."
                ),
                "tags": ["live"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/LiveUpdateInput"},
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
                            },
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Posted (or saved as a draft: see `published`).",
                        "headers": {
                            "Location": {
                                "description": "The update's permalink.",
                                "schema": {"type": "string", "format": "uri"},
                            }
                        },
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/LiveUpdateCreated"}
                            }
                        },
                    },
                    "400": _error_response(
                        "The body is not JSON, or fields are missing, unknown or invalid. "
                        "`errors` maps each field to its messages; `__all__` is about the "
                        "request as a whole."
                    ),
                    "401": _error_response(
                        "No token, or a token that is not valid or has been revoked.",
                        headers={
                            "WWW-Authenticate": {
                                "description": 'Always `Bearer realm="newsdesk"`.',
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                    "403": _error_response("The token's user may not post live updates."),
                    "413": _error_response(
                        "The request body is larger than the server accepts "
                        "(DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB by default)."
                    ),
                    "404": _error_response("No published live feed has this slug."),
                    "405": _error_response(
                        "Only POST is allowed.",
                        headers={"Allow": {"schema": {"type": "string", "const": "POST"}}},
                    ),
                    "429": _error_response(
                        f"The token sent more than {RATE_LIMIT} requests this minute.",
                        headers={
                            "Retry-After": {
                                "description": "Seconds until the token may post again.",
                                "schema": {"type": "integer", "minimum": 1},
                            }
                        },
                    ),
                    "503": _error_response(
                        "The database cannot be reached or the disk is full: nothing was "
                        "saved. Send the update again after Retry-After seconds.",
                        headers={
                            "Retry-After": {
                                "description": "Seconds to wait before sending again.",
                                "schema": {"type": "integer", "minimum": 1},
                            }
                        },
                    ),
                },
            },
        },
        "/api/live/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "tags": ["meta"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 description of this API.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": (
                    "A Wagtail API token (`wagtail_…`), from `newsdesk token create USER` "
                    "or the admin's API tokens screen. `Authorization: Token <token>` works too."
                ),
            }
        },
        "schemas": {
            "LiveUpdateInput": {
                "type": "object",
                "required": ["headline"],
                "additionalProperties": False,
                "properties": {
                    "headline": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": _headline.max_length,
                        "pattern": _NO_NUL,
                    },
                    "body": _optional(
                        {
                            "description": (
                                "Plain text (blank lines separate paragraphs), or an object "
                                "giving the format. HTML and Markdown are cleaned to what live "
                                "updates allow: bold, italic, links and lists."
                            ),
                            "oneOf": [
                                {"type": "string", "pattern": _NO_NUL},
                                {"$ref": "#/components/schemas/RichTextBody"},
                            ],
                        }
                    ),
                    "source": _optional(
                        {
                            "type": "string",
                            "maxLength": LiveUpdate._meta.get_field("source_name").max_length,
                            "pattern": _NO_NUL,
                            "description": "Who reported it, e.g. 'the regional administration'.",
                        }
                    ),
                    "source_channel": _optional(
                        {
                            "type": "string",
                            "maxLength": LiveUpdate._meta.get_field("source_channel").max_length,
                            "pattern": _NO_NUL,
                            "description": "Where it was reported, e.g. 'Telegram'.",
                        }
                    ),
                    "source_url": _optional(
                        {
                            "type": "string",
                            # An empty string is accepted and means no link, as for the other
                            # source fields.
                            "anyOf": [{"format": "uri", "pattern": _WEB_ADDRESS}, {"maxLength": 0}],
                            "maxLength": LiveUpdate._meta.get_field("source_url").max_length,
                            "description": "Link to the primary source (http or https), or ''.",
                        }
                    ),
                    "source_time": _optional(
                        {
                            "type": "string",
                            "format": "date-time",
                            "description": "When the source reported it (with a UTC offset).",
                        }
                    ),
                    "verification": _optional(
                        {
                            "type": "string",
                            "enum": Verification.values,
                            "default": Verification.UNVERIFIED.value,
                        }
                    ),
                    "key_event": _optional({"type": "boolean", "default": False}),
                    "pinned": _optional({"type": "boolean", "default": False}),
                    "published_at": _optional(
                        {
                            "type": "string",
                            "format": "date-time",
                            "description": "Shown time, with a UTC offset; default: now.",
                        }
                    ),
                },
            },
            "RichTextBody": {
                "type": "object",
                "required": ["content"],
                "additionalProperties": False,
                "properties": {
                    "format": {
                        "type": "string",
                        "enum": list(BODY_FORMATS),
                        "default": "text",
                    },
                    "content": {"type": "string", "pattern": _NO_NUL},
                },
            },
            "LiveUpdateCreated": {
                "type": "object",
                "required": ["id", "sequence", "url", "published", "warnings"],
                "properties": {
                    "id": {"type": "integer"},
                    "sequence": {
                        "type": "integer",
                        "description": "The feed's sequence number of this change.",
                    },
                    "url": {"type": "string", "format": "uri"},
                    "published": {
                        "type": "boolean",
                        "description": "false: saved as a draft for an editor to publish.",
                    },
                    "warnings": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "E.g. markup removed from the body.",
                    },
                },
            },
            "Errors": {
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "errors": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    }
                },
            },
        },
    },
}
