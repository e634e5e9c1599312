"""The clinic's web service: wires the routers, middleware and error handlers, nothing else."""

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import nightly
from api.cors import WidgetCors
from api.errors import HANDLERS
from api.limits import BodySizeLimit
from api.log_privacy import keep_queries_out_of_access_log
from api.routes import (
    docs,
    handoffs,
    health,
    model_server,
    pages,
    staff_admin,
    staff_feedback,
    staff_pages,
    staff_review,
    widget,
)
from api.security import SecurityHeaders


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """The nightly retraining's clock (api/nightly.py) runs while the API does."""
    stop = nightly.start()
    yield
    stop.set()


# FastAPI's own /docs and /redoc are replaced by ours (api/routes/docs.py), off unless CLINIC_API_DOCS=true.
app = FastAPI(title=docs.TITLE, version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan)
app.include_router(health.router)
app.include_router(docs.router)
app.include_router(pages.router)
app.include_router(handoffs.router)
app.include_router(widget.router)
app.include_router(staff_pages.router)
app.include_router(staff_feedback.router)
app.include_router(staff_admin.router)
app.include_router(staff_review.router)
app.include_router(model_server.router)
# The chat widget (widget.js, widget.css) and, copied there by `make`, socket.io's browser client.
app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
for exception, handler in HANDLERS.items():
    app.add_exception_handler(exception, handler)
app.add_middleware(WidgetCors)
app.add_middleware(SecurityHeaders)
app.add_middleware(BodySizeLimit)  # added last, so it runs first
keep_queries_out_of_access_log()  # a search's words are a patient's name or phone
