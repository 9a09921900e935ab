"""ASL pieces both workflows build with: error names, the retrier, the catch-all.

Error names of aws-sdk integrations differ between AWS and moto 5.2.5: AWS says
``<Service>.<Exception>`` (``S3.NoSuchKeyException``, ``SesV2.SesV2Exception``); moto derives the
prefix from the lower-case SDK name and, for an error its SDK does not model (a plain
``ClientError``), names it after that prefix too (``s3.NoSuchKeyException``,
``sesv2.sesv2Exception``). `aws_sdk_errors` lists both: valid on AWS (an ``ErrorEquals`` entry
that never occurs is inert), and it lets moto exercise the path. Optimised integrations
(``dynamodb:``, ``sns:``, ``sqs:``, ``lambda:``) use the same names on AWS and moto.
"""

from __future__ import annotations

from typing import Any

State = dict[str, Any]


def aws_sdk_errors(service: str, *names: str) -> list[str]:
    """Each error of an aws-sdk integration as AWS names it, then as moto does."""
    moto_service = service.lower()
    spellings: list[str] = []
    for name in names:
        moto_name = f"{moto_service}Exception" if name == f"{service}Exception" else name
        spellings += [f"{service}.{name}", f"{moto_service}.{moto_name}"]
    return spellings


# Transient errors of the services both workflows call, retried alike in both. Optimised
# integrations (dynamodb:, sqs:) name errors the same on AWS and moto; S3 is an aws-sdk one.
DYNAMODB_TRANSIENT = [
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
]
SQS_TRANSIENT = [
    "SQS.RequestThrottledException",
    "SQS.SdkClientException",
    "SQS.SqsException",
    "SQS.AmazonSQSException",
]
# Optimised integrations (lambda:, dynamodb:, sns:, sqs:) use the same names on AWS and moto.
LAMBDA_TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
S3_TRANSIENT = [*aws_sdk_errors("S3", "S3Exception"), "S3.SdkClientException"]
# Every audit PutObject names a checksum algorithm: with `auditObjectLock` the bucket has a
# default retention, and S3 then refuses a PutObject that carries neither Content-MD5 nor an
# x-amz-sdk-checksum-algorithm header (S3 API reference, PutObject). With ChecksumAlgorithm
# the SDK computes and sends the checksum; harmless on buckets without Object Lock.
S3_PUT_CHECKSUM = {"ChecksumAlgorithm": "SHA256"}


def retry(errors: list[str], interval: int = 1, attempts: int = 3) -> list[dict[str, Any]]:
    """One retrier with exponential backoff (x2) and full jitter, as AWS recommends."""
    return [
        {
            "ErrorEquals": list(errors),
            "IntervalSeconds": interval,
            "MaxAttempts": attempts,
            "BackoffRate": 2.0,
            "JitterStrategy": "FULL",
        }
    ]


def catch_all(next_state: str, result_path: str) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "ResultPath": result_path, "Next": next_state}
