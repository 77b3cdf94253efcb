"""The kit's boto3 sessions share one botocore loader, so a kernel holds one copy of AWS's models.

A lesson's kernel makes many clients (``kit.client(...)`` in cells and in the course
helpers, role clients for pollers and destinations). Each used to come with a session
of its own that read the service models again, about 9 MB each: with nine lessons
open, that was a large part of Binder's 2 GB (bench/results.md, --all-open).
"""
from __future__ import annotations

import gc
import os
import pathlib
import subprocess
import sys
import tracemalloc

import pytest

from lambdakit import identity, sessions
from tests.kit_helpers import running_kit

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def kit():
    with running_kit() as kit:
        yield kit


def _loader(boto3_session):
    return boto3_session._session.get_component("data_loader")


def test_every_session_the_kit_makes_reads_models_through_one_loader(kit):
    shared = sessions.shared_loader()
    assert _loader(kit.session()) is shared
    assert _loader(kit.session("AKIAEXAMPLE", "secret", "token")) is shared
    assert _loader(kit.session(account_id=kit.other_account_id)) is shared
    assert sessions.botocore_session().get_component("data_loader") is shared
    # and they are still separate sessions: credentials never leak from one to another
    alice, bob = kit.session("AKIAALICE", "a"), kit.session("AKIABOB", "b")
    assert alice.get_credentials().access_key == "AKIAALICE"
    assert bob.get_credentials().access_key == "AKIABOB"


def test_many_clients_cost_one_copy_of_the_models(kit):
    kit.client("lambda").list_functions()  # the first client reads the models
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        clients = [kit.client("lambda") for _ in range(10)]
        for client in clients:
            client.list_functions()  # a client that works, not one that was never used
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # a session of its own per client held ~9 MB each (90 MB here); shared, well under 1 MB each
    assert grown < 10 * 2**20, f"10 clients kept {grown / 2**20:.1f} MB"


def test_role_clients_share_the_loader_and_still_act_as_the_role(kit):
    from lambdakit.functions import FunctionVersion
    from lambdakit.invoke_api import resolve
    from tests.kit_helpers import function, role

    _, arn = role(kit)
    name = function(kit, "def handler(event, context):\n    return 1\n", arn)
    fn = FunctionVersion.from_moto(resolve(name, None, kit.account_id, kit.region).fn)
    client = identity.role_client(kit.engine, fn, "sts")
    assert client._loader is sessions.shared_loader()
    caller = client.get_caller_identity()["Arn"]
    assert caller.startswith(arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/"))


def test_moto_and_plain_boto3_read_models_through_the_same_loader(tmp_path):
    # a fresh process, as a kernel is: nothing made a default boto3 session before the kit
    script = tmp_path / "check.py"
    script.write_text(
        "import boto3, lambdakit\n"
        "from lambdakit import sessions\n"
        "from moto.core.base_backend import AccountSpecificBackend\n"
        "kit = lambdakit.start()\n"
        "shared = sessions.shared_loader()\n"
        "assert AccountSpecificBackend.get_session()._session.get_component('data_loader') is shared\n"
        "lam = boto3.client('lambda')  # a plain client, as a lesson cell makes one\n"
        "assert lam._loader is shared\n"
        "assert lam.list_functions()['Functions'] == []  # and it reaches the kit\n"
        "print('ok')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
