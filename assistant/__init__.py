"""Kompetensassistenten: a cited knowledge assistant for competence supply in Västerbotten."""

__version__ = "0.1.0"
