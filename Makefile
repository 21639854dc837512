# Every target creates .venv when it is missing and installs what it needs into it.
# pip's own cache (~/.cache/pip) makes the TensorFlow install cheap after the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: test test-backends lint demo bench catalog coreschema fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[tensorflow,audit,test]'
	touch $(STAMP)

test: lint
	$(PY) -m pytest -q -n auto

# The Keras-side tests on JAX and PyTorch, each in a new venv without TensorFlow (.ci/backends; CI runs it too)
test-backends:
	.ci/backends

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

fuzz: $(STAMP)
	PF_FUZZ_LONG=1 $(PY) -m pytest -q tests/test_fuzz.py tests/test_differential.py

demo: $(STAMP)
	@$(PY) scripts/demo.py

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

catalog: $(STAMP)
	$(PY) scripts/gen_catalog.py

coreschema: $(STAMP)
	$(PY) scripts/gen_coreschema.py

clean:
	rm -rf $(VENV) .venv-jax .venv-torch *.egg-info .pytest_cache .hypothesis
