"""Who a handler acts as: its execution role's temporary credentials."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from . import sessions

if TYPE_CHECKING:
    from .engine import Engine
    from .functions import FunctionVersion


def role_credentials(fn: FunctionVersion) -> tuple[str, str, str]:
    """Temporary credentials of ``fn``'s execution role, from the local STS (AssumeRole).

    As on AWS, the handler's SDK calls are signed with these, so they act as the
    role and not as the caller who invoked the function.
    """
    from moto.sts.models import sts_backends

    role = sts_backends[fn.account_id]["global"].assume_role(
        region_name=fn.region, role_session_name=fn.name, role_arn=fn.role,
        policy=None, duration=43200, external_id=None)
    return role.access_key_id, role.secret_access_key, role.session_token


#: role clients are reused for this many seconds (making one costs ~20 ms; policies are still
#: judged on every request, so a changed policy applies at once)
CLIENT_TTL = 60.0
_clients: dict[tuple[str, ...], tuple[float, Any]] = {}
_clients_lock = threading.Lock()


def role_client(engine: Engine, fn: FunctionVersion, service: str, region: str | None = None) -> Any:
    """A boto3 client of the local endpoint signed as ``fn``'s execution role, with no retries.

    Lambda itself acts as this role when it delivers to destinations and dead-letter queues
    and when its pollers read queues and streams, so the role's policies decide.
    """
    from botocore.config import Config

    region = region or fn.region
    key = (engine.endpoint_url, fn.account_id, fn.role, fn.name, service, region)
    now = time.monotonic()
    with _clients_lock:
        cached = _clients.get(key)
        if cached is not None and now - cached[0] < CLIENT_TTL:
            return cached[1]
    access_key, secret, token = engine._credentials(fn)
    client = sessions.session().client(  # one loader for all: models read once
        service, endpoint_url=engine.endpoint_url, region_name=region,
        aws_access_key_id=access_key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      max_pool_connections=64))  # shared by every poller thread
    with _clients_lock:
        if len(_clients) > 256:
            _clients.clear()
        _clients[key] = (now, client)
    return client
