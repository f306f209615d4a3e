# mmtao: the two commands of README.md.
#   make demo   set up (if needed) and run the tracking demo on the embedded default
#   make test   set up (if needed) and run the test suite
PY := .venv/bin/python

.PHONY: install demo test clean

install:
	bash tools/install.sh

demo: install
	$(PY) tools/demo/demo_track.py $(DEMO_ARGS)

test: install
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

clean:
	rm -rf .venv build *.egg-info
