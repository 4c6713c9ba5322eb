"""Daily check-ins: the reminder schedule, the flow, the reply, and progress."""
