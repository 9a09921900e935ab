"""The program's side of the configuration: reads the stack's ``facewatch:`` keys.

The model and its checks live in `facewatch.config` (no Pulumi import, shared with the CLI
and the local mode); this module only reads `pulumi.Config` and turns a `ConfigError` into one
Pulumi prints without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from facewatch.config import ConfigError, FacewatchConfig, load_config
from facewatch.config.checks import NAMESPACE


class StackConfigError(ConfigError, pulumi.RunError):
    """A `ConfigError` raised by the program (RunError: `pulumi up` prints no traceback)."""


def from_pulumi(get_keys: Callable[[], list[str]] | None = None) -> FacewatchConfig:
    """Read and validate the `facewatch:` namespace of the current stack."""
    prefix = f"{NAMESPACE}:"
    if get_keys is None:
        set_keys = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
        keys = [key[len(prefix) :] for key in set_keys if key.startswith(prefix)]
    else:
        keys = get_keys()
    values = {key: pulumi.runtime.get_config(prefix + key) for key in keys}
    secret = frozenset(k for k in keys if pulumi.runtime.is_config_secret(prefix + k))
    region = pulumi.Config("aws").get("region")
    try:
        return load_config(values, region=region, stack=pulumi.get_stack(), secret_keys=secret)
    except ConfigError as error:
        raise StackConfigError(str(error)) from None
