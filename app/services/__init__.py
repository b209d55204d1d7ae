"""Use cases: `f(session, *, ...)`; they flush, raise domain errors, never commit."""
