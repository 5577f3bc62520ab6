"""The build/boot/test pipeline behind the top-level Makefile (stdlib only).

Imports nothing, like every package below harness/: see bench/__init__.py.
"""
