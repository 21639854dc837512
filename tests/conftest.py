import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
POLICIES = os.path.join(ROOT, "policies")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["POLICYFACTORY_DEBUG"] = "1"  # a bug of ours shows its traceback in tests instead of the one-line internal error


def run_cli(*args, cwd=None, env=None):
    """Run `python -m policyfactory ...` as a real process."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "policyfactory", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=e, timeout=600)


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a real file in a temporary folder."""

    def _write(name, text):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return str(p)

    return _write
