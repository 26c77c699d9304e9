"""The files capability (issue 7). See the package's modules."""
