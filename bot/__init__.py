"""KommunalCampus-Assistent: Rasa bot (domain, training data, action server)."""
