# Every target creates .venv when it is missing and installs what it needs into it.
# pip's own cache (~/.cache/pip) makes the TensorFlow install cheap after the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: test test-backends lint demo bench catalog coreschema fuzz dist wheel-check docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[tensorflow,audit,test,docs]'
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

# the sdist and the wheel, into dist/ (the wheel is built from the sdist, as an index would)
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .

# the wheel installed alone in a fresh venv validates files outside the checkout (CI runs it after make test)
wheel-check: $(STAMP)
	$(PY) scripts/wheel_check.py

# the documentation site, into site/; --strict: a warning (a broken link, a page missing from nav) fails it
# (NO_MKDOCS_2_WARNING: Material prints a notice about its own end of life on every build)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .venv-jax .venv-torch *.egg-info .pytest_cache .hypothesis build dist site
