# mmtao: the two commands of README.md.
#   make demo   set up (if needed) and run the tracking demo on the embedded default
#   make test   set up (if needed) and run the test suite
#   make web    also install the web extra, then start the browser demo
#               (WEB_ARGS="--port 8000 ..."; see tools/demo/web_demo.py --help)
PY := .venv/bin/python

.PHONY: install demo test web clean opencv-venv

install:
	MMTAO_EXTRAS="$(MMTAO_EXTRAS)" bash tools/install.sh

demo: install
	$(PY) tools/demo/demo_track.py $(DEMO_ARGS)

test: install
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

web:
	MMTAO_EXTRAS="web $(MMTAO_EXTRAS)" bash tools/install.sh
	$(PY) tools/demo/web_demo.py $(WEB_ARGS)

# OpenCV's CSRT/KCF (opencv-contrib) for tools/analysis/run_opencv_tracker.py,
# in a venv of their own: mmengine's opencv-python would overwrite them
opencv-venv:
	test -x .venv-opencv/bin/python || python3 -m venv .venv-opencv
	.venv-opencv/bin/python -m pip install -q --disable-pip-version-check \
		numpy tqdm opencv-contrib-python-headless==5.0.0.93

clean:
	rm -rf .venv build *.egg-info
