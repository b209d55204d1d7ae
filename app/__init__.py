"""enrollment-stats: a training enrollment statistics REST API."""

__version__ = "0.1.0"
