"""Reminders whose source of truth is the database: planned as rows, sent once by the dispatcher."""
