"""The build, boot and test pipeline of our iommufd (see README.md).

A package, so that its modules import each other by relative name and need
no sys.path changes: the Makefile runs 'python3 -m harness.main' from the
repository's top, and the unit tests import 'harness.pipeline...' from there
('python3 -m unittest discover -s harness -p "test_*.py"').
"""
