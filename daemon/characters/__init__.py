"""Characters: references, clusters of unknown faces, adoption, corrections, upkeep."""
