"""The simulation: population, network, agencies, rules and metrics. No file I/O here."""
