"""`python -m bot` is the `malkoll` command."""

import sys

from bot.cli import main

sys.exit(main())
