"""The prompt-injection corpus for the organizer (issue 7): realistic inboxes, files and
calendars with planted instructions (corpus.py), and mechanical judging (judge.py)."""
