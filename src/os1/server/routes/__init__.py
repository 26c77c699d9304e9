"""One router per resource. Every route takes ``CurrentUser`` and uses only its id."""
