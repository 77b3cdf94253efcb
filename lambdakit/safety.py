"""Keeping the kit local: loopback-only servers and no real AWS credentials.

The kit never talks to real AWS. Three rules enforce it:

1. Servers bind to loopback only (:func:`check_bind_host`).
2. Every process the kit configures gets dummy credentials and the local
   endpoint, and loses any real AWS credentials, profiles or metadata lookups
   it inherited (:func:`local_aws_environ`).
3. Worker processes also refuse to resolve AWS's public host names
   (``lambdakit/runtime/worker/lk_bootstrap.py``).
"""
from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping

from .settings import ACCESS_KEY, REGION, SECRET_KEY

#: Variables through which boto3 could find real credentials or a real endpoint.
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED", "AWS_CA_BUNDLE",
)
#: Host name suffixes that belong to real AWS.
AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".aws.amazon.com", ".api.aws",
                     ".aws.dev", ".on.aws")


def is_loopback(host: str) -> bool:
    """True when ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind_host(host: str, force: bool = False) -> str:
    """Return ``host`` if a server may listen on it; refuse anything but loopback.

    >>> check_bind_host("127.0.0.1")
    '127.0.0.1'
    """
    if is_loopback(host) or force:
        return host
    raise ValueError(
        f"refusing to listen on {host!r}: lambdakit serves loopback only "
        "(127.0.0.1, ::1, localhost). Pass --force-host to override, knowing that anyone "
        "who can reach that address can run code on this machine.")


def is_aws_host(host: str) -> bool:
    """True for host names of real AWS endpoints."""
    host = host.lower().rstrip(".")
    return any(host.endswith(suffix) or host == suffix[1:] for suffix in AWS_HOST_SUFFIXES)


def local_aws_environ(endpoint_url: str, base: Mapping[str, str] | None = None,
                      access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                      session_token: str | None = None, region: str = REGION) -> dict[str, str]:
    """A copy of ``base`` (default: ``os.environ``) that points boto3 at the kit only.

    Real credentials, profiles and container/instance metadata settings are
    removed; the given (dummy or role) credentials and the local endpoint are set.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k not in CREDENTIAL_VARIABLES}
    env.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        # operations that AWS serves on a host of their own (Live Tail's "streaming-", S3
        # Control's account id...) must keep the kit's address
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
    })
    if session_token:
        env["AWS_SESSION_TOKEN"] = session_token
    return env


def isolate_process(endpoint_url: str) -> None:
    """Point this process's own boto3 at the kit: real credentials out, dummy ones in.

    moto itself creates boto3 clients internally, and notebook users call plain
    ``boto3.client(...)``; both must find the local endpoint and nothing real.
    """
    for name in CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(local_aws_environ(endpoint_url, base={}))


def free_loopback_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
