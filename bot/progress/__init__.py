"""Progress a patient can see: days since the quit date, streaks that survive a slip, check-ins, a chart
of mood and craving, milestones celebrated once, and /slip to record a use without judgement.

``stats`` and ``chart`` work on plain data (dates and numbers); ``summary``, ``milestones`` and
``slip_flow`` read and write through ``bot.repos.progress``.
"""
