"""What a role session may do: its role's policies decide every AWS call it makes, as on AWS.

A request signed with temporary credentials from STS AssumeRole (in practice:
from inside a handler, which acts as its execution role) is authorized here
before moto sees it. The root user (``testing``) and IAM users are not checked
here (Invoke, CreateFunction and PassRole check them elsewhere). Every
assumed-role session is checked, not only Lambda's: AWS enforces IAM for every
principal, and a learner who assumes a role by hand should meet the same rules.

The decision is AWS's evaluation logic over the role's identity-based policies
(inline, customer managed, AWS managed such as ``AWSLambdaBasicExecutionRole``)
and, where the kit knows one, the resource's own policy: an explicit Deny
wins; otherwise one Allow is enough in the same account (identity-based, or the
resource-based policy); across accounts both must allow. A refusal answers
with the service's own error, and ``kit.explain_last_denial()`` names the
statements that decided.

How a request becomes an action and a resource
-----------------------------------------------

The service is the signing name in the credential scope; the operation comes
from ``X-Amz-Target`` (JSON protocols), ``Action=`` (query protocol) or the
HTTP method and path matched against botocore's service model (REST
protocols), as moto's own ``BaseResponse._get_action`` derives it. The action
is ``prefix:Operation`` with AWS's few renames (``s3:ListBucket`` for
ListObjectsV2, ``sqs:SendMessage`` for SendMessageBatch, ...).

==========  =================================================================  ============
service     resource                                                           policy too
==========  =================================================================  ============
dynamodb    ``arn:aws:dynamodb:R:A:table/T`` (``/index/I`` with IndexName);    --
            every table of BatchGetItem / BatchWriteItem / Transact*;
            ``*`` for ListTables, DescribeLimits, DescribeEndpoints
s3          ``arn:aws:s3:::bucket`` or ``arn:aws:s3:::bucket/key`` (path       bucket policy
            style; DeleteObjects: each key); ``*`` for ListBuckets
sqs         ``arn:aws:sqs:R:A:queue`` from QueueUrl or QueueName;             queue policy
            ``*`` for ListQueues
sns         TopicArn / TargetArn / ResourceArn; CreateTopic: the new topic;    topic policy
            a subscription: its topic; ``*`` for List* and SMS publishes
lambda      ``arn:aws:lambda:R:A:function:F[:qualifier]``; ``*`` for          function policy
            ListFunctions and account-level calls (Invoke itself is
            authorized by :mod:`lambdakit.permissions`; CreateFunction and
            UpdateFunctionConfiguration by :mod:`lambdakit.permissions_roles`)
logs        ``arn:aws:logs:R:A:log-group:G`` for group calls,                  --
            ``...:log-group:G:log-stream:S`` for CreateLogStream,
            PutLogEvents, GetLogEvents, DeleteLogStream; ``*`` for
            DescribeLogGroups
sts         GetCallerIdentity is always allowed (as on AWS); AssumeRole:       trust policy
            the role ARN
iam         the role / user / group / policy named by RoleName, UserName,      --
            GroupName, PolicyArn; ``*`` otherwise
others      the first ``...Arn`` parameter that holds an ARN, else ``*``      --
==========  =================================================================  ============

``*`` is what AWS itself uses for list calls that name no resource. For the
"others" row it is a shortfall (as in moto's own IAM check): a policy scoped to
a specific ARN of such a service does not match ``*`` and so denies.

Not modelled: session policies, permissions boundaries, service control
policies, VPC endpoint policies, S3 ACLs, KMS key policies, and the second
permission some calls need (CopyObject's ``s3:GetObject`` on the source).
"""
from __future__ import annotations

import dataclasses
import functools
import html
import io
import json
import logging
import re
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote, urlparse

from . import sessions
from .errors import AccessDeniedException, LambdaError
from .permissions import (Decision, _resource_source, _verdict, caller_from_environ,
                          function_statements, record_denial)
from .permissions_callers import PARTITION, Caller, identity_policies, request_context
from .permissions_policy import IDENTITY, RESOURCE, PolicySource, StatementResult, evaluate

__all__ = ["check", "explain_request", "logging_denial", "role_caller", "Request"]

log = logging.getLogger("lambdakit.permissions")

#: signing name -> botocore service model, where they differ
MODEL_NAMES = {"monitoring": "cloudwatch", "states": "stepfunctions", "email": "ses",
               "execute-api": "apigateway"}
#: signing name -> IAM action prefix, where they differ
PREFIXES = {"monitoring": "cloudwatch", "email": "ses"}
#: API operation -> IAM action, where AWS authorizes an operation under another name
ACTION_NAMES = {
    "s3": {"HeadObject": "GetObject", "HeadBucket": "ListBucket", "ListObjects": "ListBucket",
           "ListObjectsV2": "ListBucket", "ListBuckets": "ListAllMyBuckets",
           "CopyObject": "PutObject", "CreateMultipartUpload": "PutObject",
           "UploadPart": "PutObject", "UploadPartCopy": "PutObject",
           "CompleteMultipartUpload": "PutObject", "DeleteObjects": "DeleteObject",
           "ListObjectVersions": "ListBucketVersions",
           "ListMultipartUploads": "ListBucketMultipartUploads",
           "ListParts": "ListMultipartUploadParts", "DeleteBucketTagging": "PutBucketTagging",
           "PutBucketNotificationConfiguration": "PutBucketNotification",
           "GetBucketNotificationConfiguration": "GetBucketNotification",
           "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
           "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
           "DeleteBucketLifecycle": "PutLifecycleConfiguration",
           "PutBucketCors": "PutBucketCORS", "GetBucketCors": "GetBucketCORS",
           "DeleteBucketCors": "PutBucketCORS",
           "PutBucketEncryption": "PutEncryptionConfiguration",
           "GetBucketEncryption": "GetEncryptionConfiguration"},
    "sqs": {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
            "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"},
    "lambda": {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeFunction",
               "InvokeWithResponseStream": "InvokeFunction"},
}
#: allowed to everyone, whatever the policies say (AWS: "No permissions are required")
ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}
#: decided elsewhere, with PassRole (lambdakit.permissions_roles)
DECIDED_ELSEWHERE = {"lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"}
RULE = ("A role session's AWS calls are decided by the role's identity-based policies and, "
        "where the resource has one, its resource-based policy: an explicit Deny wins; in the "
        "same account one Allow is enough; across accounts both must allow.")
LOGS_RULE = ("Lambda writes a function's logs with its execution role: it needs "
             "logs:CreateLogGroup (if the group does not exist), logs:CreateLogStream (for a new "
             "stream) and logs:PutLogEvents; without them the function runs but leaves no logs.")


@dataclasses.dataclass
class Request:
    """One AWS call as IAM sees it."""

    signing: str  # signing name from the credential scope: dynamodb, s3, sqs, ...
    prefix: str  # IAM action prefix
    operation: str  # API operation name: PutItem
    region: str
    account: str
    params: dict[str, Any]
    resources: list[str] = dataclasses.field(default_factory=list)
    protocol: str = "json"  # how the request came: json, query, rest-json, rest-xml

    @property
    def action(self) -> str:
        name = ACTION_NAMES.get(self.prefix, {}).get(self.operation, self.operation)
        return f"{self.prefix}:{name}"


# --- from an HTTP request to operation and parameters ------------------------------------

@functools.lru_cache(maxsize=None)
def _model(signing: str) -> Any:
    from botocore.exceptions import UnknownServiceError

    try:
        return _botocore().get_service_model(MODEL_NAMES.get(signing, signing))
    except UnknownServiceError:
        return None


@functools.lru_cache(maxsize=1)
def _botocore() -> Any:
    return sessions.botocore_session()  # the kit's clients read the same models: one copy


@functools.lru_cache(maxsize=None)
def _routes(signing: str) -> list[tuple[tuple[int, int], str, re.Pattern[str], dict[str, str], str]]:
    """(specificity, method, path pattern, required query, operation) of a REST model."""
    model = _model(signing)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, query = http.get("requestUri", "/").partition("?")
        required = {k: v for k, _, v in (p.partition("=") for p in query.split("&") if p)
                    if k != "x-id"}
        parts = re.split(r"\{([^}]+)\}", path)
        body = "".join(
            re.escape(part) if i % 2 == 0 else
            f"(?P<{part.rstrip('+').replace('-', '_')}>{'.+' if part.endswith('+') else '[^/]+'})"
            for i, part in enumerate(parts))
        literal = sum(len(p) for p in parts[::2])
        routes.append(((len(required), literal), http.get("method", "GET"),
                       re.compile(f"^{body.rstrip('/')}/?$"), required, name))
    routes.sort(key=lambda r: r[0], reverse=True)
    return routes


def _rest_operation(signing: str, method: str, path: str,
                    query: dict[str, list[str]]) -> tuple[str, dict[str, str]] | None:
    for _, verb, pattern, required, name in _routes(signing):
        if verb != method:
            continue
        match = pattern.match(path)
        if match and all(k in query and (not v or query[k][0] == v) for k, v in required.items()):
            return name, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def _scope(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(region, signing name) from the request's credential scope."""
    match = re.search(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/",
                      environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match[1], match[2]
    credential = (parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential") or [""])[0]
    parts = credential.split("/")
    return (parts[2], parts[3]) if len(parts) >= 4 else None


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so that the next application can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length < 0 and not environ.get("wsgi.input_terminated"):
        return b""  # no length and no end: leave the stream alone
    body = environ["wsgi.input"].read() if length < 0 else environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def describe(environ: dict[str, Any], body: bytes, account: str) -> Request | None:
    """The operation, parameters and resources of one request; None if it cannot be told."""
    scope = _scope(environ)
    if scope is None:
        return None
    region, signing = scope
    if _model(signing) is None:
        return None
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    params: dict[str, Any] = {k: v[0] for k, v in query.items()}
    target = environ.get("HTTP_X_AMZ_TARGET")
    protocol = _model(signing).metadata.get("protocol", "json")
    text = body.decode("utf-8", "replace")
    if target:
        operation, protocol = target.rsplit(".", 1)[-1], "json"
    elif ("Action" in params or protocol in ("query", "ec2")
          or environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")):
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        params.update(form)
        operation, protocol = params.get("Action", ""), "query"
    else:
        found = _rest_operation(signing, environ["REQUEST_METHOD"],
                                environ.get("PATH_INFO", "/"), query)
        if found is None:
            return None
        operation, uri = found
        params.update(uri)
        params["__body__"] = text
    if protocol in ("json", "rest-json") and text.strip().startswith("{"):
        try:
            document = json.loads(text)
            if isinstance(document, dict):
                params.update(document)
        except ValueError:
            pass
    if not operation:
        return None
    request = Request(signing, PREFIXES.get(signing, signing), operation, region, account,
                      params, protocol=protocol)
    request.resources = resources(request)
    return request


# --- resources ----------------------------------------------------------------------------

def _dynamodb(r: Request) -> list[str]:
    def table(name: str, index: str | None = None) -> str:
        if str(name).startswith("arn:"):
            return name
        arn = f"arn:aws:dynamodb:{r.region}:{r.account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    p = r.params
    if isinstance(p.get("RequestItems"), dict):
        return [table(name) for name in p["RequestItems"]]
    if isinstance(p.get("TransactItems"), list):
        names = [inner.get("TableName") for item in p["TransactItems"] if isinstance(item, dict)
                 for inner in item.values() if isinstance(inner, dict)]
        return [table(n) for n in dict.fromkeys(n for n in names if n)] or ["*"]
    if p.get("TableName"):
        return [table(p["TableName"], p.get("IndexName"))]
    for key in ("StreamArn", "ResourceArn", "TableArn"):
        if p.get(key):
            return [p[key]]
    return ["*"]


def _s3(r: Request) -> list[str]:
    if r.operation == "ListBuckets":
        return ["*"]
    bucket, key = r.params.get("Bucket"), r.params.get("Key")
    if not bucket:
        return ["*"]
    if r.operation == "DeleteObjects":
        keys = re.findall(r"<Key>(.*?)</Key>", r.params.get("__body__", ""), re.S)
        return [f"arn:aws:s3:::{bucket}/{html.unescape(k)}" for k in keys] or [
            f"arn:aws:s3:::{bucket}/*"]
    return [f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"]


def _sqs(r: Request) -> list[str]:
    url = r.params.get("QueueUrl")
    if url:
        parts = urlparse(url).path.strip("/").split("/")
        if len(parts) >= 2:
            return [f"arn:aws:sqs:{r.region}:{parts[-2]}:{parts[-1]}"]
    if r.params.get("QueueName"):
        owner = r.params.get("QueueOwnerAWSAccountId") or r.account
        return [f"arn:aws:sqs:{r.region}:{owner}:{r.params['QueueName']}"]
    return ["*"]


def _sns(r: Request) -> list[str]:
    p = r.params
    if r.operation == "CreateTopic" and p.get("Name"):
        return [f"arn:aws:sns:{r.region}:{r.account}:{p['Name']}"]
    for key in ("TopicArn", "TargetArn", "ResourceArn"):
        if p.get(key):
            return [p[key]]
    if p.get("SubscriptionArn", "").count(":") == 6:
        return [p["SubscriptionArn"].rsplit(":", 1)[0]]
    return ["*"]


def _lambda(r: Request) -> list[str]:
    from .invoke_api import function_ref

    name = r.params.get("FunctionName")
    if not isinstance(name, str):
        return ["*"]
    try:
        ref = function_ref(name, r.params.get("Qualifier"), r.account, r.region)
    except LambdaError:
        return ["*"]
    return [ref.invoked_arn]


def _logs(r: Request) -> list[str]:
    group = r.params.get("logGroupName")
    if not group:
        return [r.params["logGroupIdentifier"]] if r.params.get("logGroupIdentifier") else ["*"]
    arn = f"arn:aws:logs:{r.region}:{r.account}:log-group:{group}"
    stream = r.params.get("logStreamName")
    if stream and r.operation in ("CreateLogStream", "PutLogEvents", "GetLogEvents",
                                  "DeleteLogStream"):
        return [f"{arn}:log-stream:{stream}"]
    return [arn]


def _iam(r: Request) -> list[str]:
    p = r.params
    for key, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")):
        if p.get(key):
            return [f"arn:aws:iam::{r.account}:{kind}/{p[key]}"]
    return [p["PolicyArn"]] if p.get("PolicyArn") else ["*"]


def _sts(r: Request) -> list[str]:
    return [r.params["RoleArn"]] if r.params.get("RoleArn") else ["*"]


def _any_arn(r: Request) -> list[str]:
    for key, value in r.params.items():
        if key.lower().endswith("arn") and isinstance(value, str) and value.startswith("arn:"):
            return [value]
    return ["*"]


RESOURCES: dict[str, Callable[[Request], list[str]]] = {
    "dynamodb": _dynamodb, "s3": _s3, "sqs": _sqs, "sns": _sns, "lambda": _lambda,
    "logs": _logs, "iam": _iam, "sts": _sts}


def resources(request: Request) -> list[str]:
    """The ARNs ``request`` acts on (``*`` where AWS names none); see the module's table."""
    return RESOURCES.get(request.prefix, _any_arn)(request) or ["*"]


# --- resource-based policies --------------------------------------------------------------

def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, (bytes, str)):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    body = document.get("Statement", [])
    return [s for s in (body if isinstance(body, list) else [body]) if isinstance(s, dict)]


def resource_policy(prefix: str, resource: str) -> list[tuple[PolicySource, dict[str, Any]]]:
    """The statements of the resource's own policy, labelled; [] if it has none."""
    try:
        if prefix == "lambda" and ":function:" in resource:
            _, _, _, region, account, _, name, *_ = resource.split(":")
            return [(_resource_source(s), s) for s in function_statements(account, region,
                                                                          name)[1]]
        if prefix == "s3" and resource.startswith("arn:aws:s3:::"):
            from moto.s3.models import s3_backends

            bucket_name = resource[len("arn:aws:s3:::"):].split("/", 1)[0]
            for backend in s3_backends.values():
                bucket = backend[PARTITION].buckets.get(bucket_name)
                if bucket is not None:
                    source = PolicySource(RESOURCE, f"bucket policy of {bucket_name}")
                    return [(source, s) for s in _statements(bucket.policy)]
            return []
        if prefix == "sqs" and resource.startswith("arn:aws:sqs:"):
            from moto.sqs.models import sqs_backends

            _, _, _, region, account, name = resource.split(":")
            queue = sqs_backends[account][region].queues.get(name)
            source = PolicySource(RESOURCE, f"queue policy of {name}")
            return [(source, s) for s in _statements(getattr(queue, "policy", None))]
        if prefix == "sns" and resource.startswith("arn:aws:sns:"):
            from moto.sns.models import sns_backends

            _, _, _, region, account, name = resource.split(":")[:6]
            topic = sns_backends[account][region].topics.get(resource)
            source = PolicySource(RESOURCE, f"topic policy of {name}")
            return [(source, s) for s in _statements(getattr(topic, "policy", None))]
        if prefix == "sts" and ":role/" in resource:
            from .permissions_roles import _trust_policy

            found = _trust_policy(resource)
            if found:
                source = PolicySource(RESOURCE, f"trust policy of role {found[0]}")
                return [(source, s) for s in _statements(found[1])]
    except (KeyError, ValueError, AttributeError):
        pass
    return []


# --- deciding -----------------------------------------------------------------------------

def decide_action(caller: Caller, action: str, resource: str,
                  resource_statements: Iterable[tuple[PolicySource, dict[str, Any]]] = ()
                  ) -> Decision:
    """AWS's evaluation of ``action`` on ``resource`` for ``caller`` (identity + resource)."""
    context = request_context(caller)
    results: list[StatementResult] = []
    for source, document in identity_policies(caller):
        for statement in _statements(document):
            result = evaluate(statement, source, action, resource, context, caller)
            if result is not None:
                results.append(result)
    for source, statement in resource_statements:
        result = evaluate(statement, source, action, resource, context, caller)
        if result is not None:
            results.append(result)
    decision = _verdict(caller, resource, True, results, action)
    decision.note = RULE
    return decision


def _shown(request: Request, decision: Decision) -> str:
    """AWS's message, with the service's spelling of action and resource."""
    action, resource = request.action, decision.resource
    if request.prefix == "sqs":
        action = action.lower()  # SQS: "not authorized to perform: sqs:sendmessage on ..."
    elif request.prefix == "sns":
        action = "SNS:" + action.split(":", 1)[1]  # SNS: "SNS:Publish"
    if request.prefix == "s3":
        resource = f'"{resource}"'  # S3 quotes the ARN
    message = decision.message or ""
    message = message.replace(decision.action, action)
    return message.replace(f"on resource: {decision.resource}", f"on resource: {resource}", 1)


def authorize(caller: Caller, request: Request) -> Decision | None:
    """The refusal of ``request`` (the first resource denied), or None if it is allowed."""
    action = request.action
    if action in ALWAYS_ALLOWED or action in DECIDED_ELSEWHERE:
        return None
    for resource in request.resources:
        decision = decide_action(caller, action, resource,
                                 resource_policy(request.prefix, resource))
        if not decision.allowed:
            decision.message = _shown(request, decision)
            decision.error = _error_code(request)
            return decision
    return None


def explain_request(caller: Caller, request: Request) -> Decision:
    """Like :func:`authorize`, but always a :class:`Decision` (of the first resource)."""
    refused = authorize(caller, request)
    if refused is not None:
        return refused
    if request.action in ALWAYS_ALLOWED:
        return Decision(True, caller, request.action, "*", "No permission is needed.", [], [])
    return decide_action(caller, request.action, request.resources[0],
                         resource_policy(request.prefix, request.resources[0]))


# --- the answer, in the service's own shape -----------------------------------------------

def _error_code(request: Request) -> str:
    if request.prefix == "sns":
        return "AuthorizationError"
    if request.protocol in ("query", "rest-xml") or request.prefix == "sqs":
        return "AccessDenied"
    return "AccessDeniedException"


def refusal(request: Request, decision: Decision,
            request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the service's AccessDenied answer."""
    message, code = decision.message or "", decision.error
    if request.protocol == "json":
        version = _model(request.signing).metadata.get("jsonVersion", "1.0")
        headers = [("Content-Type", f"application/x-amz-json-{version}"),
                   ("x-amzn-RequestId", request_id)]
        if request.prefix == "sqs":  # awsQueryCompatible: botocore reads the code from here
            headers.append(("x-amzn-query-error", "AccessDenied;Sender"))
            body = {"__type": "com.amazon.coral.service#AccessDeniedException",
                    "message": message}
            return 403, headers, json.dumps(body).encode()
        body = {"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message}
        return 400, headers, json.dumps(body).encode()
    escaped = html.escape(message, quote=False)
    if request.protocol == "query":
        namespace = _model(request.signing).metadata.get("xmlNamespace", "")
        xml = (f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type>'
               f"<Code>{code}</Code><Message>{escaped}</Message></Error>"
               f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        return 403, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], xml.encode()
    if request.protocol == "rest-xml":
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               f"<Error><Code>{code}</Code><Message>{escaped}</Message>"
               f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>")
        return 403, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], (
            xml.encode())
    error = AccessDeniedException(message)
    return 403, error.headers(request_id), error.body()


def check(environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The front app's hook: the refusal to send, or None to let moto answer.

    Requests not signed with temporary (``ASIA...``) credentials return at once.
    """
    if ("Credential=ASIA" not in environ.get("HTTP_AUTHORIZATION", "")
            and "Credential=ASIA" not in environ.get("QUERY_STRING", "")):
        return None
    try:
        caller, _ = caller_from_environ(environ)
    except LambdaError:
        return None  # an invalid or expired token: moto answers as it always did
    if caller.kind != "assumed-role":
        return None
    request = describe(environ, _read_body(environ), caller.account)
    if request is None:
        return None
    decision = authorize(caller, request)
    if decision is None:
        return None
    decision.request_id = str(uuid.uuid4())
    record_denial(decision)
    log.info("%s denied\n%s", request.action, decision)
    return refusal(request, decision, decision.request_id)


# --- Lambda's own log writes --------------------------------------------------------------

def role_caller(role_arn: str, session: str) -> Caller:
    """The session Lambda uses for a function: ``assumed-role/ROLE/FUNCTION``."""
    account = role_arn.split(":")[4]
    name = role_arn.rsplit("/", 1)[-1]
    return Caller(f"arn:aws:sts::{account}:assumed-role/{name}/{session}", account,
                  "assumed-role", name, role_arn, "", session)


def logging_denial(role_arn: str, function_name: str, region: str, group: str, stream: str,
                   *, group_exists: bool, stream_exists: bool) -> Decision | None:
    """Why the role may not write this invocation's logs, or None if it may."""
    caller = role_caller(role_arn, function_name)
    group_arn = f"arn:aws:logs:{region}:{caller.account}:log-group:{group}"
    stream_arn = f"{group_arn}:log-stream:{stream}"
    needed = [("logs:CreateLogGroup", group_arn)] if not group_exists else []
    if not stream_exists:
        needed.append(("logs:CreateLogStream", stream_arn))
    needed.append(("logs:PutLogEvents", stream_arn))
    for action, resource in needed:
        decision = decide_action(caller, action, resource)
        if not decision.allowed:
            decision.note = LOGS_RULE
            return decision
    return None
