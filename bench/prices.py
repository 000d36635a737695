"""What a million requests cost on AWS, from what the bench measured.

List prices in us-east-1, as published on each service's pricing page
(aws.amazon.com/<service>/pricing) when last checked, PRICES_AS_OF; the free
tiers are left out. Check them before relying on a figure: the model below
is what stays true when a price moves.
"""

PRICES_AS_OF = "2025 (DynamoDB's on-demand prices of 2024-11-01)"

LAMBDA_ARM_GB_SECOND = 0.0000133334  # Lambda, arm64, first 7.5 billion GB-s a month
LAMBDA_REQUEST = 0.20 / 1e6
HTTP_API_REQUEST = 1.00 / 1e6  # API Gateway HTTP API, first 300 million a month, up to 512 KB each
DYNAMODB_READ_UNIT = 0.125 / 1e6  # on demand, Standard table class
DYNAMODB_WRITE_UNIT = 0.625 / 1e6
EVENTBRIDGE_EVENT = 1.00 / 1e6  # custom events, per 64 KB chunk
LOGS_INGESTED_GB = 0.50  # CloudWatch Logs, Standard class
XRAY_TRACE = 5.00 / 1e6  # traces recorded
S3_WRITE_REQUEST = 0.005 / 1e3  # PUT, COPY, POST, LIST
S3_READ_REQUEST = 0.0004 / 1e3  # GET, HEAD and the rest
SQS_REQUEST = 0.40 / 1e6

# The model's assumptions, each a figure the bench cannot measure here.
VCPU_MB = 1769  # Lambda gives one vCPU at 1,769 MB, and CPU in proportion below it
AWS_CALL_MS = 5.0  # the wall time of one round trip to AWS from Lambda, in the same region
PLATFORM_LOG_BYTES = 420  # Lambda's own lines a request (platform.start, platform.report) in JSON
ACCESS_LOG_BYTES = 480  # the API's access log line a request (the format in infra/template.yaml)
XRAY_SAMPLED = 0.05  # the default sampling rule: the first request a second, then 5%


def lambda_cost(memory_mb, cpu_ms, round_trips):
    """One invocation: its request, and its duration billed by the millisecond at its memory.

    The duration is the CPU time measured here stretched by the CPU share the
    memory buys (at 128 MB, 1769 / 128 = 13.8 times), plus AWS_CALL_MS for
    each round trip it waits for (calls made at once are one wait). Both are
    estimates: the CPU here is x86_64, Lambda's arm64."""
    duration_ms = cpu_ms * max(1.0, VCPU_MB / memory_mb) + round_trips * AWS_CALL_MS
    billed_ms = -(-duration_ms // 1)
    return LAMBDA_REQUEST + memory_mb / 1024 * billed_ms / 1000 * LAMBDA_ARM_GB_SECOND


def aws_calls_cost(calls):
    """The requests to S3 and SQS among an invocation's calls (DynamoDB's are its units)."""
    cost = 0.0
    for call in calls:
        service, operation = call.split(" ", 1)
        if service == "S3":
            cost += S3_WRITE_REQUEST if operation in ("PutObject", "CopyObject", "ListObjectsV2", "ListObjects", "POST") else S3_READ_REQUEST
        elif service == "SQS":
            cost += SQS_REQUEST
    return cost


def cost_per_million(memory_mb, cpu_ms, round_trips, calls, read_units, write_units, events, log_bytes,
                     publisher_per_event, api=True, authorizer=None):
    """A million requests of one route, in dollars, by what they pay for.

    `authorizer` is (CPU ms, round trips, log bytes, memory MB) of the
    authorizer's invocation, which every API request makes (its answers are
    not cached). `publisher_per_event` is what publishing one outbox event
    costs the publisher, in dollars a million."""
    million = 1e6
    logged = log_bytes + PLATFORM_LOG_BYTES
    parts = {"lambda": lambda_cost(memory_mb, cpu_ms, round_trips) * million}
    if authorizer:
        auth_cpu, auth_trips, auth_logs, auth_memory = authorizer
        parts["authorizer"] = lambda_cost(auth_memory, auth_cpu, auth_trips) * million
        logged += auth_logs + PLATFORM_LOG_BYTES
    else:
        parts["authorizer"] = 0.0
    parts["api"] = HTTP_API_REQUEST * million if api else 0.0
    if api:
        logged += ACCESS_LOG_BYTES
    parts["dynamodb"] = (read_units * DYNAMODB_READ_UNIT + write_units * DYNAMODB_WRITE_UNIT) * million
    parts["events"] = events * (EVENTBRIDGE_EVENT * million + publisher_per_event)
    parts["s3 sqs"] = aws_calls_cost(calls) * million
    parts["logs"] = logged * million / 1e9 * LOGS_INGESTED_GB
    parts["x-ray"] = XRAY_SAMPLED * XRAY_TRACE * million
    parts["total"] = sum(parts.values())
    return parts
