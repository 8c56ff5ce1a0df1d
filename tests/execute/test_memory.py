"""The hard memory cap a worker sets around each trial, checked in this process."""

from __future__ import annotations

import os
import resource
import sys

import numpy as np
import pytest

from automl_cli.execute.memory import hard_cap, private_mb

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA")


def test_an_allocation_past_the_cap_fails_and_the_limit_is_restored_after():
    before = resource.getrlimit(resource.RLIMIT_DATA)
    with hard_cap(100.0):
        small = np.ones(20 * 2**20, dtype=np.uint8)  # well within what the trial may add
        with pytest.raises(MemoryError):
            np.ones(400 * 2**20, dtype=np.uint8)
    assert resource.getrlimit(resource.RLIMIT_DATA) == before
    large = np.ones(400 * 2**20, dtype=np.uint8)  # allowed again once the trial is over
    assert small.sum() == 20 * 2**20 and large[-1] == 1


def test_no_limit_sets_no_cap():
    before = resource.getrlimit(resource.RLIMIT_DATA)
    with hard_cap(None):
        assert resource.getrlimit(resource.RLIMIT_DATA) == before


def test_private_memory_grows_with_what_is_touched():
    start = private_mb(os.getpid())
    block = np.ones(200 * 2**20, dtype=np.uint8)
    assert private_mb(os.getpid()) - start > 150
    del block
