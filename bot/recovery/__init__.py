"""Recovery-day support: what is typical on the patient's day since their last use (/learn), and the extra
supportive message on days 2-4 after the quit date, when cravings typically peak."""
