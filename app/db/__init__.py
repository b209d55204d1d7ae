"""Persistence: declarative base, typed models, engine and sessions."""
