"""`python -m activelab.service COMMAND …`: the service's commands without the main CLI."""

import sys

from .commands import main

sys.exit(main())
