"""What the tests share besides fixtures: the code that fixtures in tests/conftest.py wire up."""
