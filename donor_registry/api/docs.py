"""API documentation at /docs, rendered on the server from the OpenAPI schema.

FastAPI's default pages load Swagger UI from a CDN; hospitals' networks may block it and the
chapter should not leak its visitors to third parties, so this page uses no external asset.
The machine-readable schema stays at /openapi.json.
"""

import json
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from donor_registry.api.html import page

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Every operation: method, path, summary, parameters, body and responses."""
    schema = request.app.openapi()
    sections = [
        _operation(method, path, operation)
        for path, methods in schema.get("paths", {}).items()
        for method, operation in methods.items()
    ]
    models = "".join(
        f"<details><summary>{escape(name)}</summary><pre>{escape(json.dumps(model, indent=2, ensure_ascii=False))}"
        "</pre></details>"
        for name, model in schema.get("components", {}).get("schemas", {}).items()
    )
    body = (
        f"<h1>{escape(schema['info']['title'])} API</h1>"
        f"<p>{escape(schema['info'].get('description', ''))}</p>"
        '<p>Machine-readable schema: <a href="/openapi.json">/openapi.json</a>. '
        "Hospital calls send <code>Authorization: Bearer hsp_…</code>.</p>"
        + "".join(sections) + f'<div class="card"><h2>Schemas</h2>{models}</div>'
    )
    return page("API", body)


def _operation(method: str, path: str, operation: dict) -> str:
    params = "".join(
        f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}){' required' if p.get('required') else ''}</li>"
        for p in operation.get("parameters", [])
    )
    content = operation.get("requestBody", {}).get("content", {})
    body = "".join(f"<li>body: <code>{escape(kind)}</code> {escape(_ref(spec.get('schema', {})))}</li>"
                   for kind, spec in content.items())
    responses = "".join(f"<li>{escape(code)}: {escape(r.get('description', ''))}</li>"
                        for code, r in operation.get("responses", {}).items())
    return (
        f'<div class="card"><h2><code>{escape(method.upper())} {escape(path)}</code></h2>'
        f"<p>{escape(operation.get('summary', ''))}</p><p class=\"muted\">{escape(operation.get('description', ''))}</p>"
        f"<ul>{params}{body}</ul><ul>{responses}</ul></div>"
    )


def _ref(schema: dict) -> str:
    return schema.get("$ref", "").rsplit("/", 1)[-1] or schema.get("type", "")
