"""The kit in a notebook: one call starts the local endpoint and hands out clients.

>>> import lambdakit                       # doctest: +SKIP
>>> kit = lambdakit.start()                # doctest: +SKIP
>>> kit.client("lambda").list_functions()  # doctest: +SKIP

Calling :func:`start` again returns the running kit, so re-running a cell is
harmless. The endpoint points this process's own boto3 at the kit (endpoint and
dummy credentials in ``os.environ``, real credentials removed), so plain
``boto3.client("lambda")`` works as it would against AWS. The kit stops,
with every worker process, when Python exits.
"""
from __future__ import annotations

import atexit
import json
import threading
from typing import Any

from . import sessions
from .server import Endpoint
from .settings import ACCESS_KEY, ACCOUNT_ID, REGION, SECRET_KEY, Settings

LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
BASIC_LOGGING_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*",
                   "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}],
}

_lock = threading.Lock()
_running: Kit | None = None


class Kit:
    """A running kit: the endpoint, its engine, and boto3 clients bound to it."""

    account_id = ACCOUNT_ID
    region = REGION
    #: a second account for cross-account lessons: ``kit.session(account_id=kit.other_account_id)``
    other_account_id = "111122223333"

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self.url = endpoint.url
        self.engine = endpoint.engine

    def session(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                session_token: str | None = None, *, account_id: str | None = None) -> Any:
        """A boto3 session with the kit's (dummy) credentials and region.

        ``account_id`` gives the administrator (root user) of that account instead:
        ``kit.session(account_id=kit.other_account_id)`` acts from a second account.
        """
        if account_id is not None:
            from .permissions_callers import root_credentials
            access_key, secret_key = root_credentials(account_id)
            session_token = None
        # all the kit's sessions share one loader: AWS's models are read once per kernel
        return sessions.session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                aws_session_token=session_token, region_name=self.region)

    def client(self, service: str, *, account_id: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` bound to the kit's endpoint (as ``account_id``'s root)."""
        kwargs.setdefault("endpoint_url", self.url)
        return self.session(account_id=account_id).client(service, **kwargs)

    def resource(self, service: str, *, account_id: str | None = None, **kwargs: Any) -> Any:
        """A boto3 resource for ``service`` bound to the kit's endpoint (``account_id``'s root)."""
        kwargs.setdefault("endpoint_url", self.url)
        return self.session(account_id=account_id).resource(service, **kwargs)

    def explain_invoke(self, function_name: str, qualifier: str | None = None, *,
                       session: Any = None, principal: str | None = None,
                       source_arn: str | None = None, source_account: str | None = None) -> Any:
        """Would ``session`` (default: the administrator) be allowed to invoke it, and why?

        Returns a :class:`lambdakit.permissions.Decision` (``.allowed``, ``.reason``,
        ``.deciding`` statements); it prints, and renders in a notebook, as an
        explanation. ``principal="s3.amazonaws.com"`` asks about an AWS service
        acting for ``source_arn`` / ``source_account`` instead. Nothing is run.

        >>> kit.explain_invoke("orders", session=alice)              # doctest: +SKIP
        """
        from .permissions import explain_invoke

        key = token = None
        region = self.region
        if session is not None:
            creds = session.get_credentials().get_frozen_credentials()
            key, token, region = creds.access_key, creds.token, session.region_name or region
        return explain_invoke(function_name, qualifier, access_key=key, session_token=token,
                              principal=principal, source_arn=source_arn,
                              source_account=source_account, region=region)

    def explain_last_denial(self) -> Any:
        """The :class:`~lambdakit.permissions.Decision` behind the latest AccessDeniedException."""
        from .permissions import recent_denials

        denials = recent_denials()
        return denials[-1] if denials else None

    @property
    def records(self) -> list[Any]:
        """Every invocation so far: environment, cold or warm, init and invoke durations."""
        return list(self.engine.records)

    def environments(self) -> list[dict[str, Any]]:
        """The execution environments alive right now."""
        return self.engine.environments()

    def execution_role(self, name: str = "lambdakit-basic-execution") -> str:
        """The ARN of a role Lambda can assume, allowed to write logs (created if missing)."""
        iam = self.client("iam")
        try:
            return iam.get_role(RoleName=name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            pass
        arn = iam.create_role(RoleName=name,
                              AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="basic-logging",
                            PolicyDocument=json.dumps(BASIC_LOGGING_POLICY))
        return arn

    def deploy(self, name: str, source: Any, handler: str = "lambda_function.handler",
               runtime: str = "python3.12", **config: Any) -> dict[str, Any]:
        """Create function ``name`` from ``source``, or update it if it exists; wait until ready.

        ``source`` is handler source text, a ``{file name: content}`` mapping (see
        :func:`lambdakit.zip_code`), or the bytes of a .zip. Other keyword arguments
        are CreateFunction settings (``Timeout=10``, ``MemorySize=256``,
        ``Environment={"Variables": {...}}``). Re-running a cell that deploys is
        harmless. Returns the function's configuration.

        >>> kit.deploy("hello", "def handler(event, context):\n    return 'hi'\n")  # doctest: +SKIP
        """
        from .packaging import zip_code

        code = source if isinstance(source, bytes) else zip_code(source)
        lam = self.client("lambda")
        fast = {"Delay": 0.05, "MaxAttempts": 1200}
        try:
            lam.create_function(FunctionName=name, Runtime=runtime, Handler=handler,
                                Role=config.pop("Role", None) or self.execution_role(),
                                Code={"ZipFile": code}, **config)
            lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=fast)
        except lam.exceptions.ResourceConflictException:
            lam.update_function_code(FunctionName=name, ZipFile=code)
            lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=fast)
            lam.update_function_configuration(FunctionName=name, Runtime=runtime,
                                              Handler=handler, **config)
            lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=fast)
        return lam.get_function_configuration(FunctionName=name)

    def stop(self) -> None:
        """Stop the endpoint and every worker process."""
        global _running
        with _lock:
            self.endpoint.stop()
            if _running is self:
                _running = None


def start(port: int = 0, settings: Settings | None = None) -> Kit:
    """Start the kit (or return the one already running in this process)."""
    global _running
    with _lock:
        if _running is None:
            endpoint = Endpoint(port=port, settings=settings).start()
            _running = Kit(endpoint)
            atexit.register(_running.stop)
        return _running


def stop() -> None:
    """Stop the running kit, if any."""
    kit = _running
    if kit is not None:
        kit.stop()
