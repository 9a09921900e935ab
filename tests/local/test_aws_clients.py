"""facewatch.aws_clients.client: the one way the CLI and the local mode build boto3 clients."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import NoRegionError

from facewatch.aws_clients import client
from facewatch.cli.common import CliError, Target


@pytest.fixture
def aws_env(no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials in the environment (the default chain's first source), no region."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-chain")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")


def signed_request(s3: Any) -> Any:
    """The request `list_buckets` would send (answered here: nothing leaves the machine)."""
    sent: list[Any] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(request)
        body = b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>"
        return AWSResponse(request.url, 200, {}, _Raw(body))

    s3.meta.events.register("before-send.s3.ListBuckets", answer)
    s3.list_buckets()
    return sent[0]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_no_region_is_an_error_even_for_a_global_service(aws_env: None) -> None:
    # given no region anywhere; when / then: S3 does not quietly fall back to us-east-1
    with pytest.raises(NoRegionError):
        client("s3")
    with pytest.raises(CliError, match="no AWS region configured"):
        Target().client("s3")


def test_a_local_endpoint_gets_the_dummy_credentials(aws_env: None) -> None:
    # given credentials in the environment; when a client for the local endpoint signs
    s3 = client("s3", region="eu-west-1", endpoint_url="http://127.0.0.1:4566", retries=3)
    request = signed_request(s3)
    # then it went to the endpoint, as "local", with the standard retry mode
    assert request.url.startswith("http://127.0.0.1:4566/")
    assert "Credential=local/" in request.headers["Authorization"].decode()
    # (botocore counts the first attempt too: 3 retries are 4 attempts in all)
    assert s3.meta.config.retries == {"mode": "standard", "total_max_attempts": 4}


def test_without_an_endpoint_the_credentials_chain_is_used(aws_env: None) -> None:
    # given credentials in the environment; when an AWS client signs
    request = signed_request(client("s3", region="eu-west-1"))
    # then AWS's endpoint and the chain's credentials
    assert "amazonaws.com" in request.url
    assert "Credential=from-the-chain/" in request.headers["Authorization"].decode()


def test_s3_links_are_presigned_with_sigv4_in_us_east_1(aws_env: None) -> None:
    # given the CLI's S3 client in us-east-1 (botocore's default there would be SigV2)
    s3 = client("s3", region="us-east-1")
    # when it presigns a link; then it is a Signature Version 4 link
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k.jpg"})
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
