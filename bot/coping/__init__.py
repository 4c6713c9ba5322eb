"""Craving-coping tools: rate the craving, pick a tool (the ones that helped this patient first), use it,
rate again. See ``flow.py`` for the steps, ``pacing.py`` for the live pacing of exercises."""
