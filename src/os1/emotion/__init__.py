"""Emotion: what the person seems to feel in each message, their mood over days, and how
that shapes the reply. The self-harm safety reply lives here too, enforced in code."""
