"""Template tags of the prevention app."""
