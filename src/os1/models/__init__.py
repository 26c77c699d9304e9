"""Bundled model files: finding them in installed packages, assembling, verifying."""
