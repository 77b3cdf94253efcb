"""Who is calling: the principal behind an access key, and the policies that speak for it.

* ``testing``/``testing`` is the root user of account 123456789012, the kit's
  administrator; :func:`root_credentials` makes such credentials for any other
  account (moto then files every request signed with them under that account).
* Keys from CreateAccessKey act as their IAM user, keys from STS AssumeRole as
  the assumed role (``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``); moto's
  own ``IAMUserAccessKey`` / ``AssumedRoleAccessKey`` check key and session token.
* Anything else is refused as Lambda refuses it (UnrecognizedClientException).
"""
from __future__ import annotations

import dataclasses
import datetime
import re
import threading
from typing import Any, Iterator

from .errors import ExpiredTokenException, UnrecognizedClientException
from .permissions_policy import IDENTITY, PolicySource
from .settings import ACCESS_KEY, ACCOUNT_ID

PARTITION = "aws"
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"

_lock = threading.Lock()
_root_keys: dict[str, Any] = {}  # account id -> moto AccessKey used as that account's root key


@dataclasses.dataclass(frozen=True)
class Caller:
    """The principal a request acts as."""

    arn: str  # as AWS names it in error messages
    account: str
    kind: str  # "root", "user", "assumed-role" or "service"
    name: str  # user name, role name, or service principal (s3.amazonaws.com)
    principal_arn: str  # aws:PrincipalArn: the role ARN for a role session
    user_id: str = ""
    session: str | None = None

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    def describe(self) -> str:
        what = {"root": f"the root user of account {self.account}, its administrator",
                "user": f"IAM user {self.name} of account {self.account}",
                "assumed-role": f"session {self.session} of role {self.name}, "
                                f"account {self.account}",
                "service": "an AWS service principal"}[self.kind]
        return f"{self.arn} ({what})"


def root(account: str) -> Caller:
    arn = f"arn:aws:iam::{account}:root"
    return Caller(arn, account, "root", account, arn, account)


def service(principal: str) -> Caller:
    return Caller(principal, "", "service", principal, principal)


def root_credentials(account: str) -> tuple[str, str]:
    """Access key and secret of the root user (administrator) of ``account``.

    The same pair is returned for the life of the process; it is registered in
    moto's IAM store so that every service files the request under ``account``.
    """
    if account == ACCOUNT_ID:
        from .settings import SECRET_KEY
        return ACCESS_KEY, SECRET_KEY
    if not re.fullmatch(r"\d{12}", account or ""):
        raise ValueError(f"an AWS account id is 12 digits, got {account!r}")
    from moto.iam.models import AccessKey, iam_backends

    with _lock:
        key = _root_keys.get(account)
        if key is None:
            key = _root_keys[account] = AccessKey(user_name=None, prefix="AKIA", account_id=account)
        iam_backends[account][PARTITION].access_keys.setdefault(key.access_key_id, key)
        return key.access_key_id, key.secret_access_key


def _root_account_of(access_key: str) -> str | None:
    for account, key in list(_root_keys.items()):
        if key.access_key_id == access_key:
            root_credentials(account)  # re-register after a moto reset
            return account
    return None


def caller_for_key(access_key: str, session_token: str | None = None) -> Caller:
    """The principal that signs with ``access_key``; AWS's error if the key is not valid."""
    if access_key == ACCESS_KEY:
        return root(ACCOUNT_ID)
    account = _root_account_of(access_key)
    if account:
        return root(account)
    from moto.iam.access_control import (AssumedRoleAccessKey, CreateAccessKeyFailure,
                                         IAMUserAccessKey)
    from moto.iam.models import get_account_id_from, iam_backends

    account = get_account_id_from(access_key)
    backend = iam_backends[account][PARTITION]
    record = backend.access_keys.get(access_key)
    if record is None or record.status != "Active":
        raise UnrecognizedClientException(INVALID_TOKEN)
    headers = {"X-Amz-Security-Token": session_token} if session_token else {}
    try:
        if record.role_arn:
            if not session_token:
                raise UnrecognizedClientException(INVALID_TOKEN)
            key = AssumedRoleAccessKey(account, PARTITION, access_key, headers)
            return _session_caller(account, access_key, key)
        user = IAMUserAccessKey(account, PARTITION, access_key, headers)
    except CreateAccessKeyFailure:
        raise UnrecognizedClientException(INVALID_TOKEN) from None
    found = backend.get_user(user._owner_user_name)
    return Caller(found.arn, account, "user", found.name, found.arn, found.id)


def _session_caller(account: str, access_key: str, key: Any) -> Caller:
    from moto.sts.models import sts_backends

    session = next(r for r in sts_backends[account][PARTITION].assumed_roles
                   if r.access_key_id == access_key)
    from moto.core.utils import utcnow

    expires = session.expiration
    if expires.replace(tzinfo=None) <= utcnow():
        raise ExpiredTokenException(EXPIRED_TOKEN)
    return Caller(key.arn, account, "assumed-role", key._owner_role_name, session.role_arn,
                  session.user_id, key._session_name)


def identity_policies(caller: Caller) -> Iterator[tuple[PolicySource, dict[str, Any]]]:
    """Each identity-based policy of ``caller`` (inline, managed, through groups), labelled."""
    from moto.iam.access_control import IAMPolicy
    from moto.iam.exceptions import NoSuchEntity, NotFoundException
    from moto.iam.models import iam_backends

    backend = iam_backends[caller.account][PARTITION]

    def doc(policy: Any) -> dict[str, Any]:
        return IAMPolicy(policy)._policy_json

    try:
        if caller.kind == "user":
            user = caller.name
            for name in list(backend.list_user_policies(user)):
                yield (PolicySource(IDENTITY, f'inline policy "{name}" of user {user}'),
                       doc(backend.get_user_policy(user, name)))
            for policy in list(backend.list_attached_user_policies(user)[0]):
                label = f"managed policy {policy.arn} attached to user {user}"
                yield PolicySource(IDENTITY, label), doc(policy)
            for group in backend.get_groups_for_user(user):
                for name in list(backend.list_group_policies(group.name)):
                    yield (PolicySource(IDENTITY, f'inline policy "{name}" of group {group.name}'),
                           doc(backend.get_group_policy(group.name, name)))
                for policy in list(backend.list_attached_group_policies(group.name)[0]):
                    yield (PolicySource(IDENTITY, f"managed policy {policy.arn} attached to group "
                                                  f"{group.name}"), doc(policy))
        elif caller.kind == "assumed-role":
            role = caller.name
            for name in list(backend.list_role_policies(role)):
                yield (PolicySource(IDENTITY, f'inline policy "{name}" of role {role}'),
                       doc(backend.get_role_policy(role, name)[1]))
            for policy in list(backend.list_attached_role_policies(role)[0]):
                label = f"managed policy {policy.arn} attached to role {role}"
                yield PolicySource(IDENTITY, label), doc(policy)
    except (NoSuchEntity, NotFoundException):  # the user or role is gone: no policies left
        return


def organization_id(account: str) -> str | None:
    """The AWS Organizations organization ``account`` belongs to (moto's store), if any."""
    from moto.organizations.models import organizations_backends

    try:
        backend = organizations_backends[account][PARTITION]
        if backend.org is not None:
            return backend.org.id
        master = organizations_backends.master_accounts.get(account)
        if master:
            return organizations_backends[master[0]][master[1]].org.id
    except (KeyError, AttributeError):
        pass
    return None


def request_context(caller: Caller, source_arn: str | None = None,
                    source_account: str | None = None) -> dict[str, list[str]]:
    """The global condition keys of an Invoke request (lower-case names, list values)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    context = {"aws:currenttime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")],
               "aws:epochtime": [str(int(now.timestamp()))], "aws:securetransport": ["false"]}
    if caller.is_service:
        context["aws:principalisawsservice"] = ["true"]
        context["aws:principalservicename"] = [caller.name]
        if source_arn:
            context["aws:sourcearn"] = [source_arn]
        if source_account:
            context["aws:sourceaccount"] = [source_account]
        return context
    context.update({
        "aws:principalarn": [caller.principal_arn], "aws:principalaccount": [caller.account],
        "aws:principaltype": [{"root": "Account", "user": "User",
                               "assumed-role": "AssumedRole"}[caller.kind]],
        "aws:userid": [caller.user_id], "aws:principalisawsservice": ["false"]})
    if caller.kind == "user":
        context["aws:username"] = [caller.name]
    org = organization_id(caller.account)
    if org:
        context["aws:principalorgid"] = [org]
    return context
