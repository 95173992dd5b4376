"""`python -m activelab.service COMMAND …`: the service's commands without the main CLI."""

from .commands import make_app

make_app()(prog_name="activelab")
