"""A function may do what its execution role's policies allow: real boto3 calls from handlers.

Each handler catches ClientError and returns the service's code, message and status,
so the tests see exactly what code running on Lambda would see.
"""
from __future__ import annotations

import base64
import json

import pytest
from test_permissions_invoke import ACCOUNT, User, unique
from test_permissions_invoke import kit  # noqa: F401 (shared fixture)

import lambdakit
from lambdakit.kit import LAMBDA_TRUST_POLICY
from lambdakit.permissions_enforce import logging_denial

REGION = "us-east-1"
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
DYNAMODB_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"
WAIT = {"Delay": 0.05, "MaxAttempts": 200}

CALLER = """
import json
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    client = boto3.client(event["service"])
    try:
        result = getattr(client, event["op"])(**event.get("args", {}))
    except ClientError as error:
        return {"ok": False, "code": error.response["Error"]["Code"],
                "message": error.response["Error"].get("Message"),
                "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
    result.pop("ResponseMetadata", None)
    result.pop("Payload", None)
    return {"ok": True, "result": json.loads(json.dumps(result, default=str))}
"""


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", effect="Allow", sid=None):
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    return {"Sid": sid, **statement} if sid else statement


class Function:
    """A function running CALLER as a role of its own (inline and managed policies)."""

    def __init__(self, kit, *statements, managed=()):
        self.kit, iam = kit, kit.client("iam")
        self.role = unique("exec")
        self.role_arn = iam.create_role(
            RoleName=self.role,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=self.role, PolicyName="app",
                                PolicyDocument=policy(*statements))
        for arn in managed:
            iam.attach_role_policy(RoleName=self.role, PolicyArn=arn)
        self.name = unique("fn")
        lam = kit.client("lambda")
        lam.create_function(FunctionName=self.name, Runtime="python3.12", Role=self.role_arn,
                            Handler="lambda_function.handler", Timeout=30,
                            Code={"ZipFile": lambdakit.zip_code(CALLER)})
        lam.get_waiter("function_active_v2").wait(FunctionName=self.name, WaiterConfig=WAIT)
        self.arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.role}/{self.name}"

    def call(self, service, op, **args):
        response = self.kit.client("lambda").invoke(
            FunctionName=self.name, Payload=json.dumps({"service": service, "op": op,
                                                        "args": args}))
        body = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        return body


def not_authorized(caller, action, resource, why=None):
    why = why or f"because no identity-based policy allows the {action} action"
    return f"User: {caller} is not authorized to perform: {action} on resource: {resource} {why}"


def table(kit):
    name = unique("table")
    kit.client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    return name, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def put(fn, name, value="1"):
    return fn.call("dynamodb", "put_item", TableName=name, Item={"id": {"S": value}})


def stored(kit, name, value="1"):
    return "Item" in kit.client("dynamodb").get_item(TableName=name, Key={"id": {"S": value}})


def test_without_a_policy_the_handlers_call_is_denied_with_dynamodbs_error(kit):
    orders, orders_arn = table(kit)
    fn = Function(kit)
    answer = put(fn, orders)
    assert answer == {"ok": False, "code": "AccessDeniedException", "status": 400,
                      "message": not_authorized(fn.arn, "dynamodb:PutItem", orders_arn)}
    assert not stored(kit, orders)
    decision = kit.explain_last_denial()
    assert not decision.allowed and decision.message == answer["message"]
    assert decision.caller.arn == fn.arn and decision.resource == orders_arn
    assert "implicit deny" in str(decision)
    # GetCallerIdentity needs no permission, as on AWS
    who = fn.call("sts", "get_caller_identity")
    assert who["ok"] and who["result"]["Arn"] == fn.arn


def test_a_policy_on_the_tables_arn_allows_that_table_only(kit):
    orders, orders_arn = table(kit)
    other, other_arn = table(kit)
    fn = Function(kit, allow("dynamodb:PutItem", orders_arn, sid="WriteOrders"))
    assert put(fn, orders) == {"ok": True, "result": {}}
    assert stored(kit, orders)
    answer = put(fn, other)
    assert answer["code"] == "AccessDeniedException"
    assert answer["message"] == not_authorized(fn.arn, "dynamodb:PutItem", other_arn)
    decision = kit.explain_last_denial()
    [considered] = decision.results
    assert considered.sid == "WriteOrders" and not considered.applies
    assert f"does not match {other_arn}" in str(decision)
    # another action on the allowed table is not allowed either
    read = fn.call("dynamodb", "get_item", TableName=orders, Key={"id": {"S": "1"}})
    assert read["message"] == not_authorized(fn.arn, "dynamodb:GetItem", orders_arn)


def test_an_explicit_deny_wins_and_the_explanation_names_it(kit):
    orders, orders_arn = table(kit)
    fn = Function(kit, allow("dynamodb:*"),
                  allow("dynamodb:PutItem", orders_arn, effect="Deny", sid="ReadOnlyOrders"))
    answer = put(fn, orders)
    assert answer["message"] == not_authorized(
        fn.arn, "dynamodb:PutItem", orders_arn,
        "with an explicit deny in an identity-based policy")
    [decided] = kit.explain_last_denial().deciding
    assert decided.sid == "ReadOnlyOrders" and decided.effect == "Deny"
    text = str(kit.explain_last_denial())
    assert f'decided by: Deny statement "ReadOnlyOrders" in inline policy "app" of role {fn.role}' \
        in text
    assert fn.call("dynamodb", "get_item", TableName=orders, Key={"id": {"S": "1"}})["ok"]


def log_streams(kit, fn):
    logs = kit.client("logs")
    try:
        return logs.describe_log_streams(logGroupName=f"/aws/lambda/{fn.name}")["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return None


def test_aws_managed_basic_execution_role_writes_logs_and_nothing_else(kit):
    assert kit.client("iam").get_policy(PolicyArn=BASIC)["Policy"]["PolicyName"] == \
        "AWSLambdaBasicExecutionRole"
    orders, orders_arn = table(kit)
    fn = Function(kit, managed=[BASIC])
    answer = put(fn, orders)
    assert answer["message"] == not_authorized(fn.arn, "dynamodb:PutItem", orders_arn)
    assert log_streams(kit, fn)
    # AWSLambdaDynamoDBExecutionRole reads streams, it does not write items
    streams = Function(kit, managed=[DYNAMODB_EXECUTION])
    assert put(streams, orders)["code"] == "AccessDeniedException"
    assert streams.call("dynamodbstreams", "list_streams")["ok"]


def test_a_role_that_cannot_write_logs_leaves_none_but_tail_still_works(kit):
    fn = Function(kit, allow("dynamodb:*"))
    response = kit.client("lambda").invoke(FunctionName=fn.name, LogType="Tail",
                                           Payload=json.dumps({"service": "sts",
                                                               "op": "get_caller_identity"}))
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "START RequestId" in tail and "REPORT RequestId" in tail
    assert log_streams(kit, fn) is None
    why = logging_denial(fn.role_arn, fn.name, REGION, f"/aws/lambda/{fn.name}", "s",
                         group_exists=False, stream_exists=False)
    assert why.action == "logs:CreateLogGroup" and "no logs" in str(why)
    # logging allowed on this function's group only: the group must exist or be creatable
    scoped = Function(kit, allow(["logs:CreateLogStream", "logs:PutLogEvents"],
                                 f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/*:*"))
    kit.client("logs").create_log_group(logGroupName=f"/aws/lambda/{scoped.name}")
    scoped.call("sts", "get_caller_identity")
    assert log_streams(kit, scoped)


def test_s3_sqs_sns_and_lambda_answer_with_their_own_errors(kit):
    bucket = unique("bucket")
    kit.client("s3").create_bucket(Bucket=bucket)
    queue = kit.client("sqs").create_queue(QueueName=unique("queue"))["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue.rsplit('/', 1)[-1]}"
    topic = kit.client("sns").create_topic(Name=unique("topic"))["TopicArn"]
    target = Function(kit)
    fn = Function(kit)
    s3 = fn.call("s3", "put_object", Bucket=bucket, Key="a/b.txt", Body="x")
    assert s3 == {"ok": False, "code": "AccessDenied", "status": 403, "message": not_authorized(
        fn.arn, "s3:PutObject", f'"arn:aws:s3:::{bucket}/a/b.txt"')}
    sqs = fn.call("sqs", "send_message_batch", QueueUrl=queue,
                  Entries=[{"Id": "1", "MessageBody": "x"}])
    assert sqs == {"ok": False, "code": "AccessDenied", "status": 403, "message": not_authorized(
        fn.arn, "sqs:sendmessage", queue_arn)}
    sns = fn.call("sns", "publish", TopicArn=topic, Message="x")
    assert sns == {"ok": False, "code": "AuthorizationError", "status": 403,
                   "message": not_authorized(fn.arn, "SNS:Publish", topic)}
    lam = fn.call("lambda", "invoke", FunctionName=target.name)
    assert lam["code"] == "AccessDeniedException" and lam["status"] == 403
    assert lam["message"] == not_authorized(
        fn.arn, "lambda:InvokeFunction",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{target.name}")
    get = fn.call("lambda", "get_function", FunctionName=target.name)
    assert get["message"] == not_authorized(
        fn.arn, "lambda:GetFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{target.name}")
    assert kit.client("sqs").receive_message(QueueUrl=queue).get("Messages") is None


def test_resource_based_policies_allow_within_the_account(kit):
    bucket = unique("bucket")
    s3 = kit.client("s3")
    s3.create_bucket(Bucket=bucket)
    target = Function(kit)
    fn = Function(kit)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy({
        "Sid": "Uploads", "Effect": "Allow", "Principal": {"AWS": fn.role_arn},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/uploads/*"}))
    assert fn.call("s3", "put_object", Bucket=bucket, Key="uploads/a", Body="x")["ok"]
    assert s3.get_object(Bucket=bucket, Key="uploads/a")["Body"].read() == b"x"
    assert fn.call("s3", "put_object", Bucket=bucket, Key="other/a", Body="x")["code"] == \
        "AccessDenied"
    kit.client("lambda").add_permission(FunctionName=target.name, StatementId="caller",
                                        Action="lambda:InvokeFunction",
                                        Principal=fn.role_arn)
    assert fn.call("lambda", "invoke", FunctionName=target.name)["ok"]


def test_admin_and_iam_users_are_not_changed(kit):
    orders, _ = table(kit)
    kit.client("dynamodb").put_item(TableName=orders, Item={"id": {"S": "admin"}})
    alice = User(kit)
    alice.session.client("dynamodb", endpoint_url=kit.url).put_item(
        TableName=orders, Item={"id": {"S": "alice"}})
    assert stored(kit, orders, "admin") and stored(kit, orders, "alice")


def test_a_session_assumed_by_hand_is_decided_by_its_role_too(kit):
    orders, orders_arn = table(kit)
    iam = kit.client("iam")
    role = unique("analyst")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="read",
                        PolicyDocument=policy(allow("dynamodb:GetItem", orders_arn)))
    creds = kit.client("sts").assume_role(RoleArn=arn, RoleSessionName="me")["Credentials"]
    dynamodb = kit.session(creds["AccessKeyId"], creds["SecretAccessKey"],
                           creds["SessionToken"]).client("dynamodb", endpoint_url=kit.url)
    assert "Item" not in dynamodb.get_item(TableName=orders, Key={"id": {"S": "1"}})
    with pytest.raises(dynamodb.exceptions.ClientError) as info:
        dynamodb.put_item(TableName=orders, Item={"id": {"S": "1"}})
    assert info.value.response["Error"]["Message"] == not_authorized(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/me", "dynamodb:PutItem", orders_arn)


def test_role_chaining_needs_the_next_roles_trust_or_an_identity_policy(kit):
    iam = kit.client("iam")
    fn = Function(kit)
    trusting = iam.create_role(RoleName=unique("next"), AssumeRolePolicyDocument=policy({
        "Effect": "Allow", "Principal": {"AWS": fn.role_arn},
        "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    other = iam.create_role(RoleName=unique("other"), AssumeRolePolicyDocument=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    assert fn.call("sts", "assume_role", RoleArn=trusting, RoleSessionName="next")["ok"]
    answer = fn.call("sts", "assume_role", RoleArn=other, RoleSessionName="next")
    assert answer == {"ok": False, "code": "AccessDenied", "status": 403,
                      "message": not_authorized(fn.arn, "sts:AssumeRole", other)}
    assert "trust policy of role" in str(kit.explain_last_denial())
