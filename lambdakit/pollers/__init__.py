"""Event source mapping pollers: Lambda reading SQS queues, Kinesis and DynamoDB streams.

:mod:`.base` holds what every poller shares (the mapping, invoking the function,
the execution role's client, filters); :mod:`.sqs` and :mod:`.streams` poll.
"""
