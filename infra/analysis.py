"""Analysis: the data stream every camera's face-search records go to, and what fills it.

- `stream-processor`: per camera a Kinesis video stream named after the camera (records.py:
  the camera is the stream-name segment of the record's StreamArn) and a Rekognition
  face-search stream processor with its own service role.
- `edge`: no video stream or processor; a managed policy and a role for the camera agent.

Both modes share one Rekognition collection and one on-demand, KMS-encrypted data stream.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from facewatch.workflows.records import SNAPSHOT_PREFIX, processor_name
from facewatch.workflows.settings import AnalysisMode
from infra import iam
from infra.config import Camera

# Pulumi auto-names an IAM role "<logical name>-<7 random characters>" and refuses (at
# `pulumi up`, not under mocks) a logical name that leaves no room for them within IAM's
# 64-character limit: "name '...' plus 7 random chars is longer than maximum length 64".
ROLE_LOGICAL_NAME_MAX = 64 - len("-") - 7

# Snapshots are read back from the video stream (GetImages at the frame's producer
# timestamp) when a match is handled, and a failed workflow may be redriven hours later.
VIDEO_RETENTION_HOURS = 24


@dataclass(frozen=True)
class AnalysisArgs:
    cameras: tuple[Camera, ...]
    mode: AnalysisMode
    face_match_threshold: float
    collection_id: str
    key_arn: pulumi.Input[str]
    audit_bucket_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: str


def processor_role_name(component: str, camera: str) -> str:
    """The logical name of a camera's processor role: `<component>-<camera>-processor-role`,
    or, for a camera name too long for it (they may have up to 118 characters), the name cut
    short and made unique again by a digest of the whole camera name."""
    full = f"{component}-{camera}-processor-role"
    if len(full) <= ROLE_LOGICAL_NAME_MAX:
        return full
    digest = hashlib.sha256(camera.encode()).hexdigest()[:8]
    keep = ROLE_LOGICAL_NAME_MAX - len(f"{component}--{digest}-processor-role")
    return f"{component}-{camera[:keep]}-{digest}-processor-role"


class Analysis(pulumi.ComponentResource):
    data_stream: aws.kinesis.Stream
    collection: aws.rekognition.Collection
    video_streams: dict[str, aws.kinesis.VideoStream]
    processors: dict[str, aws.rekognition.StreamProcessor]
    agent_role: aws.iam.Role | None
    agent_policy: aws.iam.Policy | None

    def __init__(
        self, name: str, args: AnalysisArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("facewatch:infra:Analysis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.data_stream = aws.kinesis.Stream(
            f"{name}-data",
            stream_mode_details={"stream_mode": "ON_DEMAND"},
            encryption_type="KMS",
            kms_key_id=args.key_arn,
            retention_period=24,
            opts=child,
        )
        self.collection = aws.rekognition.Collection(
            f"{name}-collection", collection_id=args.collection_id, opts=child
        )
        self.video_streams = {}
        self.processors = {}
        self.agent_role = None
        self.agent_policy = None
        if args.mode == "stream-processor":
            for camera in args.cameras:
                self._stream_processor(name, camera.name, args)
        else:
            self._camera_agent(name, args)
        self.register_outputs(
            {
                "dataStream": self.data_stream.name,
                "collectionId": self.collection.collection_id,
                "videoStreams": {c: s.name for c, s in self.video_streams.items()},
            }
        )

    def _stream_processor(self, name: str, camera: str, args: AnalysisArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        video = aws.kinesis.VideoStream(
            f"{name}-{camera}-video",
            name=camera,
            data_retention_in_hours=VIDEO_RETENTION_HOURS,
            media_type="video/h264",
            kms_key_id=args.key_arn,
            opts=child,
        )
        processor = processor_name(camera)

        def trust(values: list[str]) -> str:
            account, partition = values
            arn = f"arn:{partition}:rekognition:{args.region}:{account}:streamprocessor/{processor}"
            service = "rekognition.amazonaws.com"
            return iam.service_trust(service, account_id=account, source_arn=arn)

        # Exactly the documented face-search permissions (api-streaming-video-roles.html),
        # scoped to this camera's video stream and the data stream, plus the KMS use that
        # reading a CMK-encrypted video stream and writing a CMK-encrypted data stream need.
        statements = pulumi.Output.all(video.arn, self.data_stream.arn, args.key_arn).apply(
            lambda v: [
                {
                    "Sid": "ReadCameraVideo",
                    "Effect": "Allow",
                    "Action": ["kinesisvideo:GetDataEndpoint", "kinesisvideo:GetMedia"],
                    "Resource": [v[0]],
                },
                {
                    "Sid": "WriteFaceSearchRecords",
                    "Effect": "Allow",
                    "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
                    "Resource": [v[1]],
                },
                iam.kms_via("DecryptVideo", v[2], ["kms:Decrypt"], ["kinesisvideo"], args.region),
                iam.kms_via(
                    "EncryptRecords", v[2], ["kms:GenerateDataKey"], ["kinesis"], args.region
                ),
            ]
        )
        role, policy = iam.role(
            processor_role_name(name, camera),
            trust=pulumi.Output.all(args.account_id, args.partition).apply(trust),
            statements=statements,
            parent=self,
            description=f"Rekognition stream processor {processor}: reads {camera}'s video",
        )
        self.video_streams[camera] = video
        self.processors[camera] = aws.rekognition.StreamProcessor(
            f"{name}-{camera}-processor",
            name=processor,
            role_arn=role.arn,
            input={"kinesis_video_stream": {"arn": video.arn}},
            output={"kinesis_data_stream": {"arn": self.data_stream.arn}},
            settings={
                "face_search": {
                    "collection_id": self.collection.collection_id,
                    "face_match_threshold": args.face_match_threshold,
                }
            },
            data_sharing_preference={"opt_in": False},
            # Rekognition checks the role when the processor is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _camera_agent(self, name: str, args: AnalysisArgs) -> None:
        collection_arn = pulumi.Output.all(
            args.partition, args.account_id, self.collection.collection_id
        ).apply(lambda v: f"arn:{v[0]}:rekognition:{args.region}:{v[1]}:collection/{v[2]}")
        statements = pulumi.Output.all(
            collection_arn, self.data_stream.arn, args.audit_bucket_arn, args.key_arn
        ).apply(
            lambda v: [
                {
                    # DescribeCollection: the agent checks the collection before it starts,
                    # so a wrong --collection is one clear error, not a failure per frame.
                    "Sid": "SearchEnrolledFaces",
                    "Effect": "Allow",
                    "Action": ["rekognition:DescribeCollection", "rekognition:SearchFacesByImage"],
                    "Resource": [v[0]],
                },
                {
                    # DescribeStreamSummary: the agent's start-up check that the stream
                    # exists and is ACTIVE; PutRecords: it writes in batches.
                    "Sid": "WriteFaceSearchRecords",
                    "Effect": "Allow",
                    "Action": ["kinesis:DescribeStreamSummary", "kinesis:PutRecords"],
                    "Resource": [v[1]],
                },
                {
                    "Sid": "UploadSnapshots",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject"],
                    "Resource": [f"{v[2]}/{SNAPSHOT_PREFIX}*"],
                },
                iam.kms_via(
                    "EncryptRecordsAndSnapshots",
                    v[3],
                    ["kms:GenerateDataKey"],
                    ["kinesis", "s3"],
                    args.region,
                ),
            ]
        )
        self.agent_policy = aws.iam.Policy(
            f"{name}-camera-agent-policy",
            description="facewatch camera agent (edge mode): search faces, write records",
            policy=statements.apply(iam.document),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Assumable by principals of this account that are themselves allowed to assume it
        # (an operator, or the camera host's own role); the policy can also be attached to
        # the host's role directly.
        self.agent_role = aws.iam.Role(
            f"{name}-camera-agent",
            description="facewatch camera agent (edge mode)",
            assume_role_policy=pulumi.Output.all(args.partition, args.account_id).apply(
                lambda v: iam.document(
                    [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:{v[0]}:iam::{v[1]}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                )
            ),
            max_session_duration=12 * 3600,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-camera-agent-policy-attachment",
            role=self.agent_role.name,
            policy_arn=self.agent_policy.arn,
            opts=pulumi.ResourceOptions(parent=self.agent_role),
        )
