"""Running scenarios and writing their results (the only package that writes files)."""
