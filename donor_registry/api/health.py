"""GET /healthz: is the database reachable and the schema current."""

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> dict:
    """Database reachability; the scheduler state is added by the serving process when it runs one."""
    with request.app.state.engine.connect() as conn:
        conn.execute(text("select 1"))
    scheduler = getattr(request.app.state, "scheduler_status", None)
    return {"status": "ok", "database": "ok", "scheduler": scheduler() if scheduler else "not running"}
