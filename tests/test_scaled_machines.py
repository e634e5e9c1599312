"""`make run-scaled`'s parts run apart, as on several machines (README "Scale-out"): a front runner with
PostgreSQL, Redis, the API and nginx, and a runner of instances that knows the front only by the URLs
and secrets it is given. Nothing here reaches the other side through a shared folder or a default port.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import BOOKING, TEST_SETTINGS, add_staff_account, requests_by_conversation, say

pytestmark = pytest.mark.scaled


@pytest.fixture(scope="module")
def machines():
    from scripts.scaled import Scaled, ScaledPorts

    folders = [Path(tempfile.mkdtemp(prefix=f"clinic-{name}-")) for name in ("front", "worker")]
    log = (folders[0].parent / f"{folders[0].name}.log").open("w")
    shared = {"bot_token": secrets.token_urlsafe(32), "action_token": secrets.token_urlsafe(32)}
    settings = {**TEST_SETTINGS, "CLINIC_CHAT_SESSION_KEY": secrets.token_urlsafe(48)}
    worker_ports, front_ports = ScaledPorts.free(2), ScaledPorts.free(0)
    front = Scaled(
        instances=0,
        ports=front_ports,
        var_dir=folders[0],
        log=log,
        settings=settings,
        parts=("data", "api", "balancer"),
        extra_upstreams=[f"127.0.0.1:{port}" for port in worker_ports.rasa],
        tracker_store_url=None,
        lock_store_url=None,
        **shared,
    )
    assert front.servers is not None
    worker = Scaled(
        instances=2,
        ports=worker_ports,
        var_dir=folders[1],
        log=log,
        settings=settings,
        parts=("instances",),
        tracker_store_url=front.servers.tracker_store_url,
        lock_store_url=front.servers.lock_store.url,
        api_url=front.urls["api"],
        **shared,
    )
    try:
        front.start()
        front.wait_until_ready()
        worker.start()
        worker.wait_until_ready(timeout=300)
        yield front, worker
    except Exception:
        log.flush()
        print(Path(log.name).read_text()[-6000:])
        raise
    finally:
        worker.stop()
        front.stop()
        log.close()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def test_a_booking_through_the_front_is_answered_by_the_other_machine_and_reaches_the_front_api(machines):
    front, worker = machines
    assert not worker.servers.processes and worker.api is None  # the worker runs instances only
    assert [name for name in front.servers.processes] == ["postgres", "redis", "nginx"]
    for message in BOOKING[:-1]:
        say(front, "two-machines", message)  # through the front's nginx to the worker's instances
    assert "reference" in say(front, "two-machines", BOOKING[-1])[-1]["text"]
    staff = add_staff_account(front.api)
    assert requests_by_conversation(front.api, staff)["two-machines"] == 1
