"""Personal triggers with if-then plans, risky times and their reminders (/triggers)."""
