# Two commands do all set-up themselves:  `make forecast`  and  `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: forecast test bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

## The main job: forecast the bundled scenario, print its table, write its report.
forecast: $(STAMP)
	$(VENV)/bin/coyuntura run bolivia-1952 --from march_1971 --until 1973-03 --runs 20000 --out reports/bolivia-1952

## Every test.
test: $(STAMP)
	$(VENV)/bin/pytest -n 2 -q

## Benchmarks (not part of the tests): engine throughput and the source's patterns.
bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'
	$(VENV)/bin/python benchmarks/throughput.py
	$(VENV)/bin/python benchmarks/performance.py
	$(VENV)/bin/python benchmarks/mesa_peer/agreement.py
	$(VENV)/bin/python benchmarks/model_support.py
	$(VENV)/bin/python benchmarks/source_patterns.py
	$(VENV)/bin/python benchmarks/whatif_experiments.py
	$(VENV)/bin/python benchmarks/sensitivity_sobol.py

## Regenerate the generated docs: the scenario format reference (from the typed schema).
docs: $(STAMP)
	$(VENV)/bin/python -m coyuntura.report.format_reference docs/scenario-format.md

clean:
	rm -rf $(VENV) reports
