"""The configurations the stack tests run the program with."""

from __future__ import annotations

ONE_CAMERA = {"cameras": ["front-door"]}
THREE_EDGE_CAMERAS = {
    "cameras": ["front-door", {"name": "garage", "source": "rtsp://cam.local/garage"}, "yard"],
    "analysis": "edge",
}
ALL_CHANNELS = {
    "email": {"sender": "alerts@example.com", "recipients": ["a@example.com", "b@example.com"]},
    "sns": {"enabled": True, "subscriptions": ["c@example.com"]},
    "slack": {"channel": "#alerts"},
    "whatsapp": {"phoneNumberId": "1234567890", "recipient": "15551234567"},
    "webhook": {"url": "https://hooks.example.com/facewatch"},
}
ALL_TOKENS = {
    "slackToken": "xoxb-slack-secret-token",
    "whatsappToken": "EAAG-whatsapp-secret-token",
    "webhookToken": "webhook-secret-token",
}
# (config values, secrets, region) of the runs every policy test checks: each channel and the
# stream-processor mode in one region, the edge mode with three cameras in another.
POLICY_CONFIGS = {
    "stream-processor-all-channels": ({**ONE_CAMERA, **ALL_CHANNELS, "alarmEmail": "o@x.io"},
                                      ALL_TOKENS, "us-east-1"),
    "edge-three-cameras": ({**THREE_EDGE_CAMERAS, "unknownFaceAlerts": True}, {}, "eu-west-3"),
}  # fmt: skip
