"""HTTP: dependencies and routes that translate requests into service calls."""
