"""Request and response models, kept apart from the ORM."""
