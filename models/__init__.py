"""The bundled pose model (package data; see models/README.md)."""
