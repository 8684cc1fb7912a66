"""A fifth filing type that exists only for tests (测试许可): the smallest complete one.

It is installed only inside tests/minimal_filing/test_minimal_filing.py, so the real pages,
menus and statistics never see it. docs/adding-a-filing-type.md walks through the same files
for a real type.
"""
