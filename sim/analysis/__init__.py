"""Figures and tables from results; never imports the model."""
