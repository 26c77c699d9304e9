"""The calendar capability (issue 7). See the package's modules."""
