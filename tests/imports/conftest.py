import pytest


@pytest.fixture
def sheet_dir(tmp_path):
    return tmp_path
