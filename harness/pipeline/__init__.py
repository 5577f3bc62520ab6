"""The build/boot/test pipeline behind the top-level Makefile (stdlib only)."""
