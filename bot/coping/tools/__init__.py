"""One module per coping tool: its steps (``STEPS``) and how it starts."""
