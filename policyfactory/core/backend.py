"""Which Keras backend a model is checked for, found as Keras finds it, without importing Keras.

Why: five catalog layers need TensorFlow and one argument value is refused on JAX and PyTorch
(`catalog.json` "backends", measured by scripts/gen_catalog.py), so `validate` must know the backend to
predict what `build` does there. Keras picks its backend once, when it is imported: the `KERAS_BACKEND`
environment variable, else the `backend` key of `keras.json` in `$KERAS_HOME` (default `~/.keras`, or
`/tmp/.keras` when the home folder cannot be written), else `tensorflow`. policyfactory reads the same
places in the same order, and puts the project's `backend` setting between the two:

1. `--backend` on the command line;
2. `KERAS_BACKEND` (as for Keras, an empty value counts as unset);
3. the `backend` setting (`[tool.policyfactory]` or `policyfactory.toml`);
4. `backend` in `keras.json`;
5. `tensorflow`, Keras's default.

The setting comes before `keras.json` because Keras writes a `keras.json` naming `tensorflow` the first
time it runs on a machine: the file says little, the project's setting says what the project runs on. The
commands that build (`build`, `audit` of a model file, `declare`) export the backend found here as
`KERAS_BACKEND` before importing Keras, so the build runs on the backend validate judged for.

In a process that has already imported Keras (the Python API after `import keras`), the backend Keras
chose is the one in force; `use_backend` sets one for a block (the command line sets it for the run).

    >>> resolve_backend("jax", "policyfactory.toml", environ={}).name
    'jax'
    >>> resolve_backend("jax", "policyfactory.toml", environ={"KERAS_BACKEND": "torch"})
    Backend(name='torch', origin='KERAS_BACKEND')
    >>> resolve_backend("jax", "command line", environ={"KERAS_BACKEND": "torch"}).origin
    '--backend'
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from .records import record

KERAS_BACKENDS = ("tensorflow", "jax", "torch", "numpy", "openvino")  # what Keras 3 accepts as KERAS_BACKEND
DEFAULT_BACKEND = "tensorflow"
# The distribution that provides each backend's package (for `--version`).
BACKEND_PACKAGES = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"), "jax": ("jax",),
                    "torch": ("torch",), "numpy": ("numpy",), "openvino": ("openvino",)}


@record(frozen=True)
class Backend:
    """A backend name and where it was found (`--backend`, `KERAS_BACKEND`, a settings file, a keras.json path,
    `Keras's default`, or `keras` when Keras is already imported)."""

    name: str
    origin: str

    @property
    def described(self) -> str:
        """'jax (from KERAS_BACKEND)'."""
        return f"{self.name} (from {self.origin})"


def keras_json_path(environ: Mapping[str, str] | None = None) -> str:
    """Where Keras reads `keras.json`: `$KERAS_HOME/keras.json`, else `~/.keras/keras.json` (`/tmp/.keras` when the
    home folder is not writable), as `keras/src/backend/config.py` computes it."""
    env = os.environ if environ is None else environ
    if "KERAS_HOME" in env:
        folder = env["KERAS_HOME"]
    else:
        home = os.path.expanduser("~")
        folder = os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")
    return os.path.expanduser(os.path.join(folder, "keras.json"))


def keras_json_backend(environ: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(the `backend` key of keras.json or None, the file's path); an unreadable file counts as none, as for Keras."""
    path = keras_json_path(environ)
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return None, path
    return _read_keras_json(path, stamp), path


@lru_cache(maxsize=8)
def _read_keras_json(path: str, stamp: int) -> str | None:
    """keras.json's backend, read once per version of the file (`stamp`: its modification time)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.loads(fh.read(1 << 20))
    except (OSError, ValueError):
        return None
    value = data.get("backend") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def resolve_backend(setting: str | None = None, setting_origin: str = "settings",
                    environ: Mapping[str, str] | None = None) -> Backend:
    """The backend to check for: `--backend`, `KERAS_BACKEND`, the `backend` setting, keras.json, tensorflow.

    `setting` is the `backend` setting's value and `setting_origin` where it came from (`command line` for the
    flag, else the settings file)."""
    env = os.environ if environ is None else environ
    if setting and setting_origin == "command line":
        return Backend(setting, "--backend")
    if env.get("KERAS_BACKEND"):
        return Backend(env["KERAS_BACKEND"], "KERAS_BACKEND")
    if setting:
        return Backend(setting, setting_origin)
    from_json, path = keras_json_backend(env)
    if from_json:
        return Backend(from_json, path)
    return Backend(DEFAULT_BACKEND, "Keras's default")


BACKEND_MODULES = ("tensorflow", "jax", "torch", "openvino")  # what Keras imports for its backend


def missing_backend(needs: str, module: str, how: str = "KERAS_BACKEND, --backend or the backend setting") -> str:
    """What to say when Keras is installed but the backend it is set to is not (the command line and the Python
    API say the same).

        >>> with use_backend("torch"):
        ...     for part in missing_backend("build needs Keras", "torch", "KERAS_BACKEND").split(", and "):
        ...         print(part)
        build needs Keras, which runs on the backend torch (from use_backend)
        torch is not installed: pip install torch, or choose an installed backend (KERAS_BACKEND)
    """
    return (f"{needs}, which runs on the backend {current_backend().described}, and {module} is not installed: "
            f"pip install {module}, or choose an installed backend ({how})")


_TARGET: ContextVar[Backend | None] = ContextVar("policyfactory_backend", default=None)


def current_backend() -> Backend:
    """The backend checks judge for: the one set by `use_backend` (the command line sets it for a run), else the
    one an imported Keras runs on, else `resolve_backend()` (no setting: a bare API call reads no settings)."""
    chosen = _TARGET.get()
    if chosen is not None:
        return chosen
    keras = sys.modules.get("keras")  # never imported here: only read when the caller has imported it
    if keras is not None:
        try:
            return Backend(str(keras.backend.backend()), "keras")
        except Exception:  # a half-imported or stand-in module: fall back to the configuration
            pass
    return resolve_backend()


@contextmanager
def use_backend(backend: Backend | str) -> Iterator[Backend]:
    """Judge for `backend` inside the block.

        >>> with use_backend("torch"):
        ...     current_backend().name
        'torch'
    """
    chosen = backend if isinstance(backend, Backend) else Backend(backend, "use_backend")
    token = _TARGET.set(chosen)
    try:
        yield chosen
    finally:
        _TARGET.reset(token)


def set_backend(backend: Backend) -> None:
    """Judge for `backend` from now on in this context (the command line, once per run)."""
    _TARGET.set(backend)


def installed_version(distributions: tuple[str, ...]) -> str | None:
    """The version of the first of `distributions` that is installed (read from its metadata, never imported)."""
    from importlib import metadata

    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def keras_line(backend: Backend) -> str:
    """What `--version` and `config` say of Keras: its version and the backend in use, or how to install it.

        >>> keras_line(Backend("jax", "KERAS_BACKEND")).startswith(("Keras ", "Keras: not installed"))
        True
    """
    keras = installed_version(("keras",))
    if keras is None:
        return ("Keras: not installed (validate needs none; to build: pip install 'policyfactory[keras]' and a backend, "
                "or 'policyfactory[tensorflow]')")
    package = installed_version(BACKEND_PACKAGES.get(backend.name, (backend.name,)))
    where = f"{backend.name} {package}" if package else f"{backend.name} (not installed)"
    return f"Keras {keras}, backend {where}, from {backend.origin}"
