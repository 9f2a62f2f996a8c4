"""Hypothesis settings of the fuzz tests (``tests/test_fuzz_*.py``).

Two profiles:

* ``ci`` (the default): bounded, so that the three fuzz files together run
  in well under a minute on a 2-core machine. No example database
  (``database=None``): a CI run leaves no ``.hypothesis`` directory.
* ``long``: :data:`LONG_FACTOR` times more examples (and longer stateful
  runs), for on-demand runs::

      INGESTHOST_FUZZ=long /tmp/venv/bin/python -m pytest -q tests/test_fuzz_abi.py \
          tests/test_fuzz_ndjson.py tests/test_fuzz_pipeline_loader.py

The profiles are registered here and used as the parent of each fuzz
test's own ``@settings`` (through :func:`fuzz_settings`); this module does
not load a profile globally, so other hypothesis tests of the suite keep
their own defaults.

Even without a database, hypothesis writes caches (``constants``,
``unicode_data``) under ``./.hypothesis``; unless
``HYPOTHESIS_STORAGE_DIRECTORY`` is set, they go to a temporary directory
removed at exit instead, so a run leaves nothing in the checkout.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    _HOME = tempfile.mkdtemp(prefix="ingesthost-fuzz-hypothesis-")
    set_hypothesis_home_dir(_HOME)
    atexit.register(shutil.rmtree, _HOME, ignore_errors=True)

#: Environment variable selecting the profile: ``ci`` (default) or ``long``.
PROFILE_ENV = "INGESTHOST_FUZZ"
PROFILES = ("ci", "long")
#: How many times more examples the long profile runs.
LONG_FACTOR = 20

_COMMON = dict(
    deadline=None,
    database=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

settings.register_profile("ci", max_examples=100, stateful_step_count=30, **_COMMON)
settings.register_profile(
    "long", max_examples=100 * LONG_FACTOR, stateful_step_count=60, **_COMMON
)

PROFILE = os.environ.get(PROFILE_ENV, "ci") or "ci"
if PROFILE not in PROFILES:
    raise ValueError(f"{PROFILE_ENV}={PROFILE!r}: expected one of {', '.join(PROFILES)}")
LONG = PROFILE == "long"


def scaled(ci_examples: int) -> int:
    """The example count of a test: ``ci_examples`` in ci, :data:`LONG_FACTOR` times that in long."""
    return ci_examples * LONG_FACTOR if LONG else ci_examples


def fuzz_settings(ci_examples: int, **overrides: object) -> settings:
    """``@settings`` for one fuzz test: the selected profile, with its example count scaled."""
    return settings(settings.get_profile(PROFILE), max_examples=scaled(ci_examples), **overrides)
