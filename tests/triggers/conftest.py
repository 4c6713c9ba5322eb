"""The reminder tests' fixtures (bots on one database, the manual clock) serve the trigger tests too."""

from tests.reminders.conftest import bots  # noqa: F401
