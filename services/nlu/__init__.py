"""Baton's NLU layer: intents, entities and sentiment for customer turns; import the submodules."""
