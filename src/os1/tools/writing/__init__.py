"""Writing help shared by mail, letters and notes: proofreading (``proofread``)."""

from os1.tools.writing.proofread import Change, Proofread, apply_changes, check, proofread, render_changes

__all__ = ["Change", "Proofread", "apply_changes", "check", "proofread", "render_changes"]
