"""The clinic's web service: wires the routers, middleware and error handlers, nothing else."""

from fastapi import FastAPI

from api.errors import HANDLERS
from api.limits import BodySizeLimit
from api.routes import handoffs, health, pages, staff_pages
from api.sessions import StaffSessions

app = FastAPI(title="Clinic assistant API", version="0.1.0")
app.include_router(health.router)
app.include_router(pages.router)
app.include_router(handoffs.router)
app.include_router(staff_pages.router)
for exception, handler in HANDLERS.items():
    app.add_exception_handler(exception, handler)
app.add_middleware(StaffSessions)
app.add_middleware(BodySizeLimit)  # added last, so it runs first
