"""CloudWatch Logs filter patterns: the matcher (lambdakit.log_filters) and FilterLogEvents.

The unit cases follow the examples of AWS's "Filter pattern syntax for metric filters,
subscription filters, filter log events, and Live Tail"; the end-to-end tests run a function
that logs text and JSON lines and filter its log group through boto3, as a learner would.
"""
from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

from conftest import wait_for
from kit_helpers import function, role, running_kit, unique
from lambdakit.log_filters import ERROR_MESSAGE, InvalidFilterPattern, compile_pattern, matches

# --- terms ------------------------------------------------------------------------------

TEXT = "[ERROR 400] BAD REQUEST from 10.0.0.1"


@pytest.mark.parametrize("pattern, message, expected", [
    ("", "anything at all", True),
    ("   ", "anything at all", True),
    ("ERROR", TEXT, True),
    ("ERROR", "[INFO] all good", False),
    ("error", TEXT, False),                       # case-sensitive
    ("ERROR 400", TEXT, True),                    # every term must appear, in any order
    ("400 ERROR", TEXT, True),
    ("ERROR 401", TEXT, False),
    ('"BAD REQUEST"', TEXT, True),                # a quoted phrase is matched as written
    ('"REQUEST BAD"', TEXT, False),
    ('"10.0.0.1"', TEXT, True),                   # punctuation needs quotes
    ('ERROR "BAD REQUEST"', TEXT, True),
    ("?ERROR ?WARN", TEXT, True),                 # ?: any one of them
    ("?ERROR ?WARN", "[WARN] slow", True),
    ("?ERROR ?WARN", "[INFO] fine", False),
    ("ERROR -400", TEXT, False),                  # -: excluded
    ("ERROR -401", TEXT, True),
    ("-ERROR", "[INFO] fine", True),
    ("-ERROR", TEXT, False),
    ('ERROR -"BAD REQUEST"', TEXT, False),
    ("?ERROR MainThread ?WARN Deadlock", "ERROR in MainThread", True),   # ? starts a group
    ("?ERROR MainThread ?WARN Deadlock", "WARN Deadlock found", True),
    ("?ERROR MainThread ?WARN Deadlock", "ERROR Deadlock found", False),
    ("?ERROR -MainThread ?WARN", "ERROR in MainThread", False),
    ("?ERROR -MainThread ?WARN", "WARN in MainThread", True),
    ('?"ERROR 400" ?"ERROR 500"', TEXT, True),
    ("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", True),   # a standalone regex
    ("%AUTHORIZED%", "[SUCCESS 200] AUTHORIZED REQUEST", True),
    ("%^AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", False),
    ("%ERROR.4[0-9]{2}%", TEXT, True),
    ("%ERROR.5[0-9]{2}%", TEXT, False),
    ("%colou?r%", "color", True),
    (r"%10\.0\.0\.1%", TEXT, True),
])
def test_terms(pattern, message, expected):
    assert compile_pattern(pattern).kind in {"all", "terms"}
    assert matches(pattern, message) is expected


# --- JSON -------------------------------------------------------------------------------

EVENT = json.dumps({
    "eventType": "UpdateTrail", "sourceIPAddress": "123.123.1.2", "latency": 1500,
    "bandwidth": 200, "ratio": 0.5, "level": "ERROR", "isOk": False, "hasRetry": True,
    "cause": None, "user": {"id": "u-1", "tags": ["admin", "ops"]},
    "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 7}],
    "message": "bind: address already in use", "code": "200",
})


@pytest.mark.parametrize("pattern, expected", [
    ('{ $.eventType = "UpdateTrail" }', True),
    ('{ $.eventType = "updatetrail" }', False),           # case-sensitive
    ("{ $.eventType = UpdateTrail }", True),               # unquoted strings are strings too
    ('{$.eventType="UpdateTrail"}', True),                 # spaces are optional
    ('{ $.eventType != "UpdateTrail" }', False),
    ('{ $.eventType != "CreateTrail" }', True),
    ('{ $.missing != "x" }', False),                       # != needs the field
    ('{ $.eventType = "Update*" }', True),                 # * is a wildcard
    ('{ $.eventType = "*Trail" }', True),
    ('{ $.eventType = "Create*" }', False),
    ("{ $.sourceIPAddress != 123.123.* }", False),
    ("{ $.sourceIPAddress = 123.123.* }", True),
    ("{ $.eventType = * }", True),                         # any value: the field is there
    ("{ $.missing = * }", False),
    ("{ $.latency > 1000 }", True),
    ("{ $.latency < 1000 }", False),
    ("{ $.latency >= 1500 }", True),
    ("{ $.latency <= 1499 }", False),
    ("{ $.latency = 1500 }", True),
    ("{ $.latency != 1500 }", False),
    ("{ $.latency = 1.5e3 }", True),                       # numbers may use exponents
    ("{ $.bandwidth > 5e2 }", False),
    ("{ $.ratio < 1 }", True),
    ("{ $.eventType > 1 }", False),                        # a string is not a number
    ("{ $.missing > 1 }", False),
    ("{ $.cause IS NULL }", True),
    ("{ $.level IS NULL }", False),
    ("{ $.missing IS NULL }", False),                      # missing is not null...
    ("{ $.missing NOT EXISTS }", True),                    # ...it does not exist
    ("{ $.cause NOT EXISTS }", False),
    ("{ $.hasRetry IS TRUE }", True),
    ("{ $.isOk IS TRUE }", False),
    ("{ $.isOk IS FALSE }", True),
    ("{ $.level IS TRUE }", False),                        # only a JSON boolean is TRUE
    ('{ $.user.id = "u-1" }', True),                       # nested fields
    ('{ $.user.tags[0] = "admin" }', True),                # array indexes
    ('{ $.user.tags[1] = "admin" }', False),
    ('{ $.user.tags[5] = "admin" }', False),
    ('{ $.items[1].sku = "B2" }', True),
    ("{ $.items[0].qty > 5 }", False),
    ("{ $.items[1].qty > 5 }", True),
    ('{ $.level = "ERROR" && $.latency > 1000 }', True),
    ('{ $.level = "ERROR" && $.latency > 2000 }', False),
    ('{ $.level = "INFO" || $.latency > 1000 }', True),
    ('{ $.level = "INFO" || $.latency > 2000 }', False),
    ('{ ($.level = "INFO" || $.latency > 1000) && $.hasRetry IS TRUE }', True),
    ('{ ($.level = "INFO" || $.latency > 2000) && $.hasRetry IS TRUE }', False),
    ('{ $.level = "INFO" || ($.latency > 1000 && $.isOk IS FALSE) }', True),
    ('{ $.level = "INFO" && $.latency > 1000 || $.hasRetry IS TRUE }', True),   # && first
    ("{ $.message = %address.already% }", True),            # regular expression
    ("{ $.message = %^address% }", False),
    ("{ $.message != %^address% }", True),
    ("{ $.message = %^bind:% && $.level = %^ERR% }", True),   # two regexes at most
    ("{ $.code = 200 }", True),
    ('{ $.code = "200" }', True),
])
def test_json(pattern, expected):
    assert compile_pattern(pattern).kind == "json"
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize("message", [
    'level = "ERROR"',
    "ERROR something failed",
    "START RequestId: 1 Version: $LATEST",
    '"ERROR"',                                    # JSON, but not an object
    '{"level": "ERROR"',                          # broken JSON
])
def test_json_pattern_never_matches_text(message):
    assert not matches('{ $.level = "ERROR" }', message)
    assert not matches("{ $.level NOT EXISTS }", message)


def test_json_message_with_trailing_newline():
    """print() lines reach CloudWatch Logs with their newline."""
    assert matches('{ $.level = "ERROR" }', '{"level": "ERROR"}\n')


# --- space-delimited --------------------------------------------------------------------

APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534'


@pytest.mark.parametrize("pattern, expected", [
    ("[ip, user, username, timestamp, request, status_code, bytes]", True),
    ("[ip, user, username, timestamp, request, status_code]", False),      # six fields, not seven
    ("[ip, user, username, timestamp, request, status_code, bytes, extra]", False),
    ("[ip, user, username, timestamp, request, status_code = 404, bytes]", True),
    ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", True),
    ("[ip, user, username, timestamp, request, status_code = 5*, bytes]", False),
    ("[ip, user, username, timestamp, request, status_code != 404, bytes]", False),
    ("[ip, user, username, timestamp, request = *gif*, status_code, bytes]", True),
    ("[ip, user, username, timestamp, request = *html*, status_code, bytes]", False),
    ('[ip, user, username = "frank", ...]', True),
    ("[ip, user, username = bob, ...]", False),
    ("[ip, ..., status_code = 404, bytes > 1000]", True),
    ("[ip, ..., status_code = 404, bytes > 2000]", False),
    ("[..., status_code, bytes < 2000]", True),
    ("[ip = 127.0.0.*, ...]", True),
    ("[ip, user, ..., status_code = 4*, bytes > 1000]", True),
    ("[ip, ..., request, ..., bytes >= 1534]", True),
    ("[ip, user, username, timestamp = *2000*, ...]", True),          # [...] is one field
    ("[..., status_code = 4* || status_code = 5*, bytes]", True),
    ("[..., status_code = 2* || status_code = 3*, bytes]", False),
    ("[..., status_code = 4*, bytes > 1000 && bytes < 1600]", True),
    ("[..., status_code = 4*, bytes > 1000 && bytes < 1500]", False),
    ("[..., status_code, bytes > 1000 && status_code = 404]", True),
    ("[...]", True),
    ("[ip, ..., request = %GET./apache%, ...]", True),
    ("[ip, ..., request = %POST%, ...]", False),
])
def test_space_delimited(pattern, expected):
    assert compile_pattern(pattern).kind == "space"
    assert matches(pattern, APACHE) is expected


def test_space_delimited_numbers_must_be_numbers():
    assert not matches("[a, b > 10]", "x abc")
    assert matches("[a, b > 10]", "x 11")


# --- invalid patterns -------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [
    '{ $.level = "ERROR" ',               # unbalanced braces
    '{ }',
    '{ level = "ERROR" }',                # selectors start with $.
    '{ $.level "ERROR" }',                # no operator
    '{ $.level = }',                      # no value
    '{ $.latency > abc }',                # < > need numbers
    '{ $.level = "ERROR" && }',
    '{ ($.level = "ERROR" }',             # unbalanced parentheses
    '{ $.level IS MAYBE }',
    '{ $.level NOT THERE }',
    '{ $.level = "ERROR" $.x = 1 }',      # no && or ||
    "[ip, user",                          # unbalanced brackets
    "[]",
    "[ip, ip]",
    "[ip, status = ]",
    "[ip, , status]",
    "[ip, status_code = 4* && bytes > 1000]",   # a condition on a field never named
    "email@example.com",                  # punctuation in an unquoted term
    "?",
    '""',
    '"unterminated',
    "%[unclosed%",
    "%something!%",                       # ! is not in AWS's regex subset
    "%(ERROR|WARN)%",                     # nor are parentheses
    "%Task timed out%",                   # nor spaces
    "%%",
    "ERROR %WARN%",                       # a regex pattern stands alone
    "{ $.a = %a% && $.b = %b% && $.c = %c% }",   # at most 2 regexes
])
def test_invalid_patterns_are_refused(pattern):
    with pytest.raises(InvalidFilterPattern) as info:
        compile_pattern(pattern)
    assert str(info.value).startswith(ERROR_MESSAGE)


# --- end to end: FilterLogEvents through boto3 -------------------------------------------

LOGGER = """
import json

def handler(event, context):
    print("START-OF-WORK text line")
    print("ERROR 500 payment declined for order 17")
    print("WARN 429 throttled by the bank")
    print('10.0.0.1 - alice [25/Nov/2026:10:00:00 +0000] "GET /orders HTTP/1.1" 404 1834')
    print('10.0.0.2 - bob [25/Nov/2026:10:00:01 +0000] "GET /health HTTP/1.1" 200 12')
    print(json.dumps({"level": "ERROR", "order": {"id": 17}, "ms": 1200, "retry": True}))
    print(json.dumps({"level": "INFO", "order": {"id": 18}, "ms": 40, "retry": False}))
    print(json.dumps({"level": "ERROR", "order": {"id": 19}, "ms": 15, "cause": None}))
    return "logged"
"""


@pytest.fixture(scope="module")
def logged():
    """A kit whose function has logged the lines of ``LOGGER`` once: ``(logs client, group)``."""
    with running_kit() as kit:
        _, role_arn = role(kit)
        name = function(kit, LOGGER, role_arn)
        assert kit.client("lambda").invoke(FunctionName=name)["Payload"].read() == b'"logged"'
        logs, group = kit.client("logs"), f"/aws/lambda/{name}"
        wait_for(lambda: any(e["message"].startswith("REPORT") for e in
                             logs.filter_log_events(logGroupName=group)["events"]),
                 message="the invocation's REPORT line")
        yield logs, group


def _found(logged, pattern):
    logs, group = logged
    events = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
    return [e["message"].strip() for e in events]


def test_e2e_json_pattern_returns_only_matching_events(logged):
    found = _found(logged, '{ $.level = "ERROR" }')
    assert [json.loads(m)["order"]["id"] for m in found] == [17, 19]
    assert [json.loads(m)["order"]["id"] for m in
            _found(logged, '{ $.level = "ERROR" && $.ms > 1000 }')] == [17]
    assert [json.loads(m)["order"]["id"] for m in
            _found(logged, "{ $.cause IS NULL || $.retry IS FALSE }")] == [18, 19]
    assert _found(logged, '{ $.level = "DEBUG" }') == []


def test_e2e_terms(logged):
    assert _found(logged, "ERROR 500") == ["ERROR 500 payment declined for order 17"]
    assert _found(logged, "?ERROR -declined ?WARN") == [
        "WARN 429 throttled by the bank",
        json.dumps({"level": "ERROR", "order": {"id": 17}, "ms": 1200, "retry": True}),
        json.dumps({"level": "ERROR", "order": {"id": 19}, "ms": 15, "cause": None})]
    assert _found(logged, "%^ERROR.5[0-9]{2}%") == ["ERROR 500 payment declined for order 17"]
    assert _found(logged, '"payment declined" -WARN') == [
        "ERROR 500 payment declined for order 17"]


def test_e2e_space_delimited(logged):
    assert _found(logged, "[ip, dash, user, time, request, status = 4*, bytes > 1000]") == [
        '10.0.0.1 - alice [25/Nov/2026:10:00:00 +0000] "GET /orders HTTP/1.1" 404 1834']
    assert _found(logged, "[ip, ..., status = 2*, bytes]") == [
        '10.0.0.2 - bob [25/Nov/2026:10:00:01 +0000] "GET /health HTTP/1.1" 200 12']


def test_e2e_empty_pattern_returns_every_event(logged):
    logs, group = logged
    everything = logs.filter_log_events(logGroupName=group)["events"]
    assert len(_found(logged, "")) == len(everything) >= 8 + 3   # START, END, REPORT


@pytest.mark.parametrize("pattern", ['{ $.level = "ERROR" ', "email@example.com",
                                     "{ $.ms > fast }"])
def test_e2e_invalid_pattern_gets_the_aws_error(logged, pattern):
    logs, group = logged
    with pytest.raises(botocore.exceptions.ClientError) as info:
        logs.filter_log_events(logGroupName=group, filterPattern=pattern)
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidParameterException", ERROR_MESSAGE)


def test_e2e_invalid_pattern_refused_on_an_empty_group(logged):
    logs, _ = logged
    empty = unique("/filters/empty")
    logs.create_log_group(logGroupName=empty)
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=empty, filterPattern="{ $.x = ")


def test_e2e_live_tail_uses_the_same_patterns(logged):
    """StartLiveTail calls go to a ``streaming-`` host on AWS; the kit's environment
    (AWS_DISABLE_HOST_PREFIX_INJECTION) keeps a plain client on the kit's address. The session
    tails the group it names, not the last one created."""
    plain, group = logged
    plain.create_log_group(logGroupName=unique("/filters/newer"))
    logs = boto3.client("logs", endpoint_url=plain.meta.endpoint_url,
                        region_name=plain.meta.region_name)
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{group}"
    stream = logs.start_live_tail(logGroupIdentifiers=[arn],
                                  logEventFilterPattern="{ $.ms < 100 }")["responseStream"]
    update = next(e["sessionUpdate"] for e in stream if "sessionUpdate" in e)
    assert [json.loads(r["message"])["order"]["id"] for r in update["sessionResults"]] == [18, 19]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern="[a, b")
