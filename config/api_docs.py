"""The API's documentation as a server-rendered page.

drf-spectacular's Redoc and Swagger UI pages load their JavaScript from a CDN, which our Content
Security Policy (script-src 'self' + nonce, style-src 'self') refuses and the network may not
reach. So the page is built here from the same OpenAPI schema that /api/schema/ serves, and
rendered with GOV.UK Frontend classes: it works without JavaScript, like every other page.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from drf_spectacular.generators import SchemaGenerator

_METHODS = ("get", "post", "put", "patch", "delete")
_HTTP_STATUS = {
    "200": "OK",
    "201": "Created",
    "204": "No content",
    "400": "Bad request",
    "401": "Not signed in",
    "403": "Forbidden",
    "404": "Not found",
    "409": "Conflict",
}

# The schema only changes with the code, so it is built once per process, on first use.
_schema: dict[str, Any] | None = None
_schema_lock = threading.Lock()


def get_schema() -> dict[str, Any]:
    global _schema
    if _schema is None:
        with _schema_lock:
            if _schema is None:
                _schema = SchemaGenerator().get_schema(request=None, public=True)
    return _schema


_ENUM_LINE = re.compile(r"^\* `([^`]*)` - (.*)$", re.MULTILINE)
_CODE = re.compile(r"`([^`]+)`")


def _enum_labels(description: str) -> dict[str, str]:
    """drf-spectacular describes choices as lines of "* `value` - Label"."""
    return dict(_ENUM_LINE.findall(description))


def _inline_code(text: str) -> str:
    """Descriptions are written in Markdown; show its `code` spans, and nothing else, as HTML."""
    return mark_safe(_CODE.sub(r"<code>\1</code>", escape(text)))  # noqa: S308 - escaped first


@dataclass
class Field:
    name: str
    type: str
    required: bool = False
    description: str = ""


@dataclass
class Reply:
    status: str
    meaning: str
    description: str
    fields: list[Field] = field(default_factory=list)


@dataclass
class Endpoint:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list[Field] = field(default_factory=list)
    body: list[Field] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)


@dataclass
class Section:
    name: str
    endpoints: list[Endpoint] = field(default_factory=list)


class _Reader:
    """Turns an OpenAPI document into what the template shows, resolving component references."""

    def __init__(self, schema: dict[str, Any]):
        self.components = schema.get("components", {}).get("schemas", {})

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in node and seen < 10:
            node = self.components.get(node["$ref"].rsplit("/", 1)[-1], {})
            seen += 1
        if "allOf" in node and len(node["allOf"]) == 1:
            merged = {k: v for k, v in node.items() if k != "allOf"}
            return {**self.resolve(node["allOf"][0]), **merged}
        return node

    def describe_type(self, node: dict[str, Any]) -> str:
        """A field's type in words: "string (at most 100 characters)", "one of: red (Red), ..."."""
        name = node.get("$ref", "").rsplit("/", 1)[-1]
        if not name and "allOf" in node and len(node["allOf"]) == 1:
            name = node["allOf"][0].get("$ref", "").rsplit("/", 1)[-1]
        if "oneOf" in node:
            parts = [self.describe_type(option) for option in node["oneOf"]]
            text = " or ".join(p for p in parts if p != "blank")
            if "blank" in parts:
                text += "; or blank"
            return text + ("; may be null" if node.get("nullable") else "")
        resolved = self.resolve(node)
        if resolved.get("maxLength") == 0 or resolved.get("enum") == [""]:
            return "blank"
        limits = []
        if "enum" in resolved:
            labels = _enum_labels(resolved.get("description", ""))
            values = [v for v in resolved["enum"] if v not in ("", None)]
            text = "one of: " + "; ".join(
                f"{v} – {labels[v]}" if labels.get(v, v) != v else f"{v}" for v in values
            )
        elif resolved.get("type") == "array":
            text = "list of " + self.describe_type(resolved.get("items", {}))
        elif resolved.get("type") == "object" and name:
            text = f"{name} object ({', '.join(resolved.get('properties', {}))})"
        elif resolved.get("type") == "object":
            text = "object"
        else:
            text = resolved.get("type", "any")
            if resolved.get("format"):
                text += {"date": " (date, YYYY-MM-DD)", "date-time": " (date and time, ISO 8601)"}.get(
                    resolved["format"], f" ({resolved['format']})"
                )
            if "maxLength" in resolved:
                limits.append(f"at most {resolved['maxLength']} characters")
        if resolved.get("nullable") or node.get("nullable"):
            limits.append("may be null")
        return text + (f" ({'; '.join(limits)})" if limits else "")

    def fields_of(self, node: dict[str, Any]) -> list[Field]:
        resolved = self.resolve(node)
        required = set(resolved.get("required", []))
        fields = []
        for name, prop in resolved.get("properties", {}).items():
            description = prop.get("description") or self.resolve(prop).get("description", "")
            if _ENUM_LINE.match(description):
                description = ""  # the choices are already in the type
            fields.append(
                Field(
                    name=name,
                    type=self.describe_type(prop),
                    required=name in required,
                    description=_inline_code(description),
                )
            )
        return fields

    def endpoint(self, path: str, method: str, operation: dict[str, Any]) -> Endpoint:
        parameters = [
            Field(
                name=f"{p['name']} ({p.get('in', 'query')})",
                type=self.describe_type(p.get("schema", {})),
                required=bool(p.get("required")),
                description=_inline_code(p.get("description", "")),
            )
            for p in operation.get("parameters", [])
        ]
        body: list[Field] = []
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = self.fields_of(content["application/json"].get("schema", {}))
        replies = []
        for status, response in operation.get("responses", {}).items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            replies.append(
                Reply(
                    status=status,
                    meaning=_HTTP_STATUS.get(status, ""),
                    description=_inline_code(response.get("description", "")),
                    fields=self.fields_of(schema) if schema and status.startswith("2") else [],
                )
            )
        return Endpoint(
            method=method.upper(),
            path=path,
            summary=operation.get("summary", ""),
            description=_inline_code(operation.get("description", "")),
            anchor=operation.get("operationId", f"{method}-{path}").replace("_", "-"),
            parameters=parameters,
            body=body,
            replies=replies,
        )


def build_sections(schema: dict[str, Any]) -> list[Section]:
    reader = _Reader(schema)
    sections: dict[str, Section] = {}
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method not in item:
                continue
            operation = item[method]
            tag = (operation.get("tags") or ["other"])[0]
            sections.setdefault(tag, Section(name=tag)).endpoints.append(
                reader.endpoint(path, method, operation)
            )
    return list(sections.values())


@login_required
def api_docs(request):
    schema = get_schema()
    return render(
        request,
        "casework/api_docs.html",
        {
            "info": schema.get("info", {}),
            "sections": build_sections(schema),
            "nav_section": "api",
            "token_default_days": settings.API_TOKEN_DEFAULT_DAYS,
        },
    )
