"""The build/boot/test pipeline behind the top-level Makefile (stdlib only)."""

import os
import sys

# harness/machines.py is data that the modules here import as 'machines'.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
