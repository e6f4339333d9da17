"""The wire format shared by every answer: the `Response` envelope and Tencent's error codes."""

from __future__ import annotations

import ipaddress
import json
import uuid
from typing import Any

from aiohttp import web

# The official SDK parses an error envelope only when Content-Type is exactly this string;
# aiohttp's json_response would append "; charset=utf-8", so answers are built by hand.
JSON_CONTENT_TYPE = "application/json"

# Messages as Tencent's gateway words them (collected from real answers where known).
SIGNATURE_FAILURE_MESSAGE = (
    "The provided credentials could not be validated. Please check your signature is correct."
)
SECRET_ID_NOT_FOUND_MESSAGE = (
    "The SecretId is not found, please ensure that your SecretId is correct."
)
SIGNATURE_EXPIRE_MESSAGE = "The signature is expired, please request again."
INVALID_ACTION_MESSAGE = "The request `Action` is invalid or not found."


class ApiError(Exception):
    """An error answered in the envelope: HTTP 200 with Response.Error.{Code,Message}."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")


def type_error(name: str) -> ApiError:
    return ApiError("InvalidParameter", f"Parameter `{name}` type error.")


def bad_value(name: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"Invalid value for parameter `{name}`: {why}")


def not_supported(message: str) -> ApiError:
    return ApiError("InvalidParameter.ModelNotSupported", message)


def too_many(name: str, why: str) -> ApiError:
    return ApiError("InvalidParameter.ExceededQuantityLimit", f"`{name}`: {why}")


def new_request_id() -> str:
    return str(uuid.uuid4())


def envelope(payload: dict[str, Any], request_id: str) -> web.Response:
    """A success answer: the payload fields plus RequestId inside Response."""
    body = {"Response": {**payload, "RequestId": request_id}}
    return _json(body)


def error_envelope(error: ApiError, request_id: str) -> web.Response:
    body = {
        "Response": {
            "Error": {"Code": error.code, "Message": error.message},
            "RequestId": request_id,
        }
    }
    return _json(body)


def _json(body: dict[str, Any]) -> web.Response:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return web.Response(status=200, body=data, headers={"Content-Type": JSON_CONTENT_TYPE})


def drop_connection(request: web.Request) -> web.Response:
    """Close the connection without a byte of answer; aiohttp discards the returned response."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


def cos_error(status: int, code: str, message: str, resource: str, request_id: str) -> web.Response:
    """An error as COS answers a bad or expired signed object URL: XML with Code/Message."""
    xml = (
        "<?xml version='1.0' encoding='utf-8' ?>\n"
        "<Error>\n"
        f"\t<Code>{code}</Code>\n"
        f"\t<Message>{message}</Message>\n"
        f"\t<Resource>{_xml_escape(resource)}</Resource>\n"
        f"\t<RequestId>{request_id}</RequestId>\n"
        "</Error>"
    )
    return web.Response(
        status=status, body=xml.encode("utf-8"), headers={"Content-Type": "application/xml"}
    )


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def url_host(host: str) -> str:
    """A host for URLs: wildcard addresses become loopback, IPv6 gets brackets."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host
