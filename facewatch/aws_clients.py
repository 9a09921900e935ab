"""boto3 clients for AWS or for the local mode's endpoint, built one way for every caller."""

from __future__ import annotations

from typing import Any

# The local endpoint accepts any credentials: these keep a missing AWS profile from mattering.
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def client(
    service: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    retries: int | None = None,
) -> Any:
    """A boto3 client for `service`.

    region: None takes the profile's or AWS_REGION; when none is found, botocore's
    `NoRegionError` is raised for every service (boto3 alone would quietly pick us-east-1 for
    global ones such as S3). endpoint_url: the local mode, with its dummy credentials; None
    is AWS with the default credentials chain. retries: the standard retry mode with botocore's
    `max_attempts` set to this (retries after the first attempt); None keeps the default.
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    session = boto3.session.Session(region_name=region)
    if session.region_name is None:
        raise NoRegionError()
    kwargs: dict[str, Any] = {}
    if endpoint_url:
        kwargs = {"endpoint_url": endpoint_url, **LOCAL_CREDENTIALS}
    config = Config()
    if retries is not None:
        config = Config(retries={"mode": "standard", "max_attempts": retries})
    if service == "s3":
        # Presigned links must be SigV4: botocore's default in us-east-1 and other older
        # regions is SigV2, which S3 refuses for SSE-KMS objects (all of the stack's).
        config = config.merge(Config(signature_version="s3v4"))
    return session.client(service, config=config, **kwargs)
