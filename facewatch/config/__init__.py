"""The stack's configuration model: plain Python, no Pulumi SDK.

`load_config` validates the ``facewatch:`` keys (every problem one line naming the key and
the fix, all raised together in one `ConfigError`); the program (`infra.config.from_pulumi`),
the local mode (`facewatch local up --config`) and the tests all use it. Modules: `model`
(the typed config and `load_config`), `checks` (the value checks and their limits),
`channels` (the notification channels' settings).
"""

from facewatch.config.channels import (
    EmailSettings,
    SlackSettings,
    SnsSettings,
    WebhookSettings,
    WhatsAppSettings,
)
from facewatch.config.checks import ConfigError
from facewatch.config.model import (
    KNOWN_KEYS,
    TOKEN_KEYS,
    Camera,
    FacewatchConfig,
    WorkflowType,
    load_config,
)

__all__ = [
    "KNOWN_KEYS",
    "TOKEN_KEYS",
    "Camera",
    "ConfigError",
    "EmailSettings",
    "FacewatchConfig",
    "SlackSettings",
    "SnsSettings",
    "WebhookSettings",
    "WhatsAppSettings",
    "WorkflowType",
    "load_config",
]
