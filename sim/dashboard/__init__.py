"""The interactive dashboard (a Solara page): view code over the model, no file I/O except
the scenario export the user asks for."""
