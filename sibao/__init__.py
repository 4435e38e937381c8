"""Sibao (四保): the whitelist enterprise operations dispatch platform."""
