"""The weekly measures: PHQ-2, GAD-2 and PHQ-9 item 9, and the suicide-risk screener that follows a
positive item 9 (instruments, the flow that asks them, the weekly reminder)."""
