"""API documentation at /docs, rendered on the server from the OpenAPI schema.

FastAPI's default pages load Swagger UI from a CDN; hospitals' networks may block it and the
chapter should not leak its visitors to third parties, so this page uses no external asset.
The machine-readable schema stays at /openapi.json. The page's own words follow the visitor's
language; the operations' texts are the schema's (English).
"""

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from donor_registry.api.deps import speak
from donor_registry.api.html import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(speak)])


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Every operation: method, path, summary, parameters, body and responses."""
    schema = request.app.openapi()
    operations = [
        _operation(method, path, operation)
        for path, methods in schema.get("paths", {}).items()
        for method, operation in methods.items()
    ]
    models = [(name, json.dumps(model, indent=2, ensure_ascii=False))
              for name, model in schema.get("components", {}).get("schemas", {}).items()]
    return render(request, "docs.html", info={"title": schema["info"]["title"],
                                              "description": schema["info"].get("description", "")},
                  header=Markup("<code>Authorization: Bearer hsp_…</code>"), operations=operations, models=models)


def _operation(method: str, path: str, operation: dict) -> dict:
    content = operation.get("requestBody", {}).get("content", {})
    return {
        "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "parameters": [{"name": p["name"], "where": p["in"], "required": p.get("required", False)}
                       for p in operation.get("parameters", [])],
        "bodies": [(kind, _ref(spec.get("schema", {}))) for kind, spec in content.items()],
        "responses": [(code, r.get("description", "")) for code, r in operation.get("responses", {}).items()],
    }


def _ref(schema: dict) -> str:
    return schema.get("$ref", "").rsplit("/", 1)[-1] or schema.get("type", "")
