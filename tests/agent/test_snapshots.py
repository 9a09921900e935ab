"""Snapshots named in the records exist in S3: the frame and one crop per detected face."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import cv2
import numpy as np
import pytest
from moto import mock_aws

from facewatch.agent import AgentError, ListSink, SnapshotUploader, run
from facewatch.agent.snapshots import check_bucket, snapshot_keys

from .conftest import CAMERA, REGION, agent_config

BUCKET = "facewatch-audit"


@pytest.fixture(scope="module")
def snapshot_run(clip: Path, engine: Any) -> dict[str, Any]:
    with mock_aws():
        s3 = boto3.client(
            "s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        s3.create_bucket(Bucket=BUCKET)
        sink = ListSink()
        uploader = SnapshotUploader(s3, BUCKET, CAMERA)
        run(agent_config(clip, "enrolled", snapshot_policy="matches"), engine, sink, uploader)
        objects = {
            obj["Key"]: s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
            for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        }
    return {"records": sink.records, "objects": objects}


def test_snapshot_keys_named_in_records_exist_in_s3(snapshot_run: dict[str, Any]) -> None:
    # given
    records = snapshot_run["records"]
    snapshots = [r["FacewatchSnapshot"] for r in records if "FacewatchSnapshot" in r]
    # when
    named = {key for s in snapshots for key in [s["FrameKey"], *s["FaceKeys"]]}
    # then every named key was uploaded, and each is a JPEG image
    assert snapshots
    assert {s["Bucket"] for s in snapshots} == {BUCKET}
    assert named <= set(snapshot_run["objects"])
    for key in named:
        image = cv2.imdecode(np.frombuffer(snapshot_run["objects"][key], np.uint8), 1)
        assert image is not None and image.size > 0, key


def test_each_face_of_a_record_has_its_crop(snapshot_run: dict[str, Any]) -> None:
    # given
    records = [r for r in snapshot_run["records"] if "FacewatchSnapshot" in r]
    # then FaceKeys[i] belongs to FaceSearchResponse[i], under the record's fragment folder
    for record in records:
        fragment = int(record["InputInformation"]["KinesisVideo"]["FragmentNumber"])
        frame_key, face_keys = snapshot_keys(CAMERA, fragment, len(record["FaceSearchResponse"]))
        assert record["FacewatchSnapshot"]["FrameKey"] == frame_key
        assert record["FacewatchSnapshot"]["FaceKeys"] == face_keys


def test_with_matches_policy_only_matched_records_carry_snapshots(
    snapshot_run: dict[str, Any],
) -> None:
    # given
    records = snapshot_run["records"]
    # then
    for record in records:
        has_match = any(face["MatchedFaces"] for face in record["FaceSearchResponse"])
        assert ("FacewatchSnapshot" in record) == has_match


def test_missing_bucket_is_a_clear_error(aws_env: None) -> None:
    # given
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        # when / then
        with pytest.raises(AgentError, match="snapshot bucket 'nope-bucket' not found"):
            check_bucket(s3, "nope-bucket")


def test_bucket_that_exists_but_cannot_be_listed_is_accepted() -> None:
    # given: the stack's camera-agent policy grants PutObject under snapshots/ but not
    # s3:ListBucket, so HeadBucket on the existing audit bucket answers 403
    from botocore.stub import Stubber

    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
        # when / then: no error, the first upload reports a missing write permission
        check_bucket(s3, BUCKET)
        stub.assert_no_pending_responses()


def test_bucket_check_still_reports_other_refusals() -> None:
    # given: an error that is neither "exists but forbidden" nor "not found"
    from botocore.stub import Stubber

    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(s3) as stub:
        stub.add_client_error(
            "head_bucket", service_error_code="InvalidAccessKeyId", http_status_code=400
        )
        # when / then: it is not taken for "exists" (only a 403 is)
        from botocore.exceptions import ClientError

        with pytest.raises((AgentError, ClientError), match="InvalidAccessKeyId"):
            check_bucket(s3, BUCKET)
