"""The clinic's web service: wires the routers, nothing else."""

from fastapi import FastAPI

from api.routes import health, pages

app = FastAPI(title="Clinic assistant API", version="0.1.0")
app.include_router(health.router)
app.include_router(pages.router)
