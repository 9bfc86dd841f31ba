#!/usr/bin/env python
"""Django's command-line utility for dangjian."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from dangjian.core.command_line import main

    sys.exit(main(sys.argv))
