"""Supernet pretraining: the recipe study's ranking of kept supernets (``study``)."""
