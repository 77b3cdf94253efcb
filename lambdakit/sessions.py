"""boto3 sessions that share one botocore data loader, so AWS's models are read once per process.

A boto3 session reads the service models and endpoint data it needs into memory
when it makes its first client: about 9 MB for a first client of a kernel's
sessions. The kit used to make a session per ``kit.client(...)`` call, so a
lesson's kernel held one copy per client it had made. Sessions made here share
one loader (and its cache): a further client costs well under 1 MB.

>>> from lambdakit.sessions import session
>>> lam = session(region_name="us-east-1", aws_access_key_id="testing",
...               aws_secret_access_key="testing").client("lambda", endpoint_url="http://127.0.0.1:9")
>>> lam.meta.service_model.service_name
'lambda'
"""
from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_loader: Any = None


def shared_loader() -> Any:
    """The process's one botocore data loader (made on first use, honouring AWS_DATA_PATH)."""
    global _loader
    with _lock:
        if _loader is None:
            import botocore.session
            from botocore.loaders import create_loader
            _loader = create_loader(botocore.session.get_session().get_config_variable("data_path"))
        return _loader


def botocore_session() -> Any:
    """A new botocore session that reads models through :func:`shared_loader`."""
    import botocore.session
    core = botocore.session.get_session()
    core.register_component("data_loader", shared_loader())
    return core


def session(**kwargs: Any) -> Any:
    """A new ``boto3.session.Session(**kwargs)`` whose models come from the shared loader."""
    import boto3
    return boto3.session.Session(botocore_session=botocore_session(), **kwargs)
