"""The config model is plain Python: the CLI and the local mode use it without the Pulumi SDK."""

from __future__ import annotations

import subprocess
import sys


def test_the_config_model_imports_no_pulumi() -> None:
    # when the model is imported and used in a fresh interpreter
    code = (
        "import sys\n"
        "from facewatch.config import ConfigError, load_config\n"
        "try:\n"
        "    load_config({'cameras': '[]'}, region='us-east-1', stack='dev')\n"
        "except ConfigError as error:\n"
        "    assert isinstance(error, ValueError)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # then no Pulumi module was loaded
    assert done.stdout.strip() == "[]", done.stderr
