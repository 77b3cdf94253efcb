"""Who a handler acts as: its execution role's temporary credentials."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
